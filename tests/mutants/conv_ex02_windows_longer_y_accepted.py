"""Mistake: ``sliding_windows`` refuses a ``y`` shorter than ``X`` but takes a longer one.

``if len(y) < n`` checks one direction of "one label per sequence": the extra labels are
silently dropped, though they say the caller mixed up two datasets.
"""

import numpy as np

from lstm_lab import checks

from .ex02_windows import _window

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_sliding_windows_refuses_bad_input_by_name[y-longer]"]
SLOW = False


def sliding_windows(X, y, window):
    X = checks.sequences(X)
    n, length, features = X.shape
    y = np.asarray(y)
    if len(y) < n:
        raise ValueError(f"y must have a label for each of the {n} sequences, got {len(y)}")
    y = y[:n]
    window = _window(window, length)
    views = np.lib.stride_tricks.sliding_window_view(X, window, axis=1)
    Xw = np.ascontiguousarray(views.transpose(0, 1, 3, 2)).reshape(-1, window, features)
    return Xw, np.repeat(y, length - window + 1)
