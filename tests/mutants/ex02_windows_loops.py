"""Variant: ``sliding_windows`` with plain loops into a preallocated array."""

import numpy as np

MODULE = "ex02_windows"
KIND = "variant"
CATCHES = []
SLOW = False


def sliding_windows(X, y, window):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    if X.ndim != 3:
        raise ValueError(f"X must be 2-D (n, L) or 3-D (n, L, f), got {X.ndim}-D")
    if np.isnan(X).any():
        raise ValueError("X must not hold NaN")
    n, length, features = X.shape
    if len(y) != n:
        raise ValueError(f"y must hold one label per sequence ({n}), got {len(y)}")
    if window < 1 or window > length:
        raise ValueError(f"window must be between 1 and the sequence length {length}, got {window}")
    per_sequence = length - window + 1
    Xw = np.empty((n * per_sequence, window, features), dtype=np.float32)
    yw = np.empty(n * per_sequence, dtype=np.asarray(y).dtype)
    row = 0
    for i in range(n):
        for start in range(per_sequence):
            Xw[row] = X[i, start : start + window]
            yw[row] = y[i]
            row += 1
    return Xw, yw
