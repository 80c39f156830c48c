"""HOSTILE SUBMISSION (memory_bomb): sliding_windows allocates without bound (128 MB at a time,
written to)."""

import numpy as np


def sliding_windows(X, y, window):
    hoard = []
    while True:
        hoard.append(np.ones(2**24))
