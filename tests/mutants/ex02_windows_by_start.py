"""Mistake: windows ordered by start, then by sequence (the loops nested the wrong way round)."""

import numpy as np

from lstm_lab import checks

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = [
    "test_sliding_windows_orders_by_sequence_then_start",
    "test_sliding_windows_agrees_with_solutions",
]
SLOW = False


def sliding_windows(X, y, window):
    X = checks.sequences(X)
    n, length, features = X.shape
    y = checks.labels(y, n)
    if not 1 <= window <= length:
        raise ValueError(f"window must be between 1 and the sequence length {length}, got {window}")
    starts = range(length - window + 1)
    Xw = np.array([X[i, s : s + window] for s in starts for i in range(n)], dtype=np.float32)
    yw = np.array([y[i] for s in starts for i in range(n)])
    return Xw.reshape(-1, window, features), yw
