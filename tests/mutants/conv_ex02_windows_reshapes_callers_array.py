"""Mistake: ``sliding_windows`` adds the features axis with ``X.shape = (n, L, 1)``, which
reshapes the caller's own array when it was float32 already (``np.asarray`` copies only to
change the dtype); the answer is right.

The float64 input of the lesson hides it: there ``np.asarray(X, dtype=np.float32)`` is a copy.
"""

import numpy as np

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_function_leaves_its_input_alone[sliding_windows]"]
SLOW = False


def sliding_windows(X, y, window):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X.shape = (*X.shape, 1)
    if X.ndim != 3:
        raise ValueError(f"X must be 2-D or 3-D, got {X.ndim}-D")
    if np.isnan(X).any():
        raise ValueError("X must not contain NaN")
    n, length, features = X.shape
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have one label per sequence ({n}), got shape {y.shape}")
    if not 1 <= window <= length:
        raise ValueError(f"window must be between 1 and {length}, got {window}")
    starts = length - window + 1
    Xw = np.stack([X[i, s : s + window] for i in range(n) for s in range(starts)])
    return Xw, np.repeat(y, starts)
