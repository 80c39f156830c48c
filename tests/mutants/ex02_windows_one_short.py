"""Mistake: ``range(L - window)`` starts: the last window of every sequence is missing."""

import numpy as np

from lstm_lab import checks

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = [
    "test_sliding_windows_counts_every_start",
    "test_sliding_windows_orders_by_sequence_then_start",
    "test_sliding_windows_agrees_with_solutions",
]
SLOW = False


def sliding_windows(X, y, window):
    X = checks.sequences(X)
    n, length, _ = X.shape
    y = checks.labels(y, n)
    if not 1 <= window <= length:
        raise ValueError(f"window must be between 1 and the sequence length {length}, got {window}")
    Xw = [X[i, s : s + window] for i in range(n) for s in range(length - window)]
    yw = [y[i] for i in range(n) for s in range(length - window)]
    return np.array(Xw, dtype=np.float32).reshape(-1, window, X.shape[2]), np.array(yw)
