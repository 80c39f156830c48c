"""Mistake: ``sliding_windows`` misses each sequence's last window (``range(L - window)``), and
leaves its inputs alone.

Leaving the inputs alone is worth a point only with a right answer: a function that answers
wrongly must not collect the point for not writing into its arguments.
"""

import numpy as np

from lstm_lab import checks

from .ex02_windows import _window

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_function_leaves_its_input_alone[sliding_windows]"]
SLOW = False


def sliding_windows(X, y, window):
    X = checks.sequences(X)
    n, length, features = X.shape
    y = checks.labels(y, n)
    window = _window(window, length)
    rows = [X[i, s : s + window] for i in range(n) for s in range(length - window)]
    Xw = np.stack(rows) if rows else np.zeros((0, window, features), np.float32)
    return Xw, np.repeat(y, length - window)
