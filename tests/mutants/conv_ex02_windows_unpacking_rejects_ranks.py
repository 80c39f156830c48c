"""Mistake: ``sliding_windows`` never checks the rank of ``X``: ``n, length, features = X.shape``
raises for a 1-D or 4-D ``X``, by accident.

Python's "not enough values to unpack (expected 3, got 1)" is a ``ValueError``, but it says
nothing of ``X``: the contract's check is missing, and it must not score as if it were there.
"""

import numpy as np

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = [
    "test_sliding_windows_refuses_bad_input_by_name[X-1-D]",
    "test_sliding_windows_refuses_bad_input_by_name[X-4-D]",
]
SLOW = False


def sliding_windows(X, y, window):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    n, length, features = X.shape
    if np.isnan(X).any():
        raise ValueError("X must not contain NaN")
    y = np.asarray(y)
    if len(y) != n:
        raise ValueError(f"y must have one label per sequence ({n}), got {len(y)}")
    if window < 1 or window > length:
        raise ValueError(f"window must be between 1 and {length}, got {window}")
    starts = length - window + 1
    Xw = np.stack([X[i, s : s + window] for i in range(n) for s in range(starts)])
    return Xw.astype(np.float32), np.repeat(y, starts)
