"""HOSTILE SUBMISSION (huge_answer): returns an array far larger than a message may be (the test
lowers LSTM_LAB_MAX_MESSAGE_MB)."""

import numpy as np


def sliding_windows(X, y, window):
    return np.zeros(2**23), np.zeros(3)
