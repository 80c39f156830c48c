"""Mistake: ``sliding_windows`` rejects a ``y`` shorter than ``X`` but not a longer one (it
checks ``len(y) < n``): the extra labels shift every window's label after the first sequence's
windows, with no error."""

import numpy as np

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_sliding_windows_rejects_bad_input[y-too-long]"]
SLOW = False


def sliding_windows(X, y, window):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[:, :, None]
    if X.ndim != 3:
        raise ValueError(f"X must be 2-D or 3-D, got shape {X.shape}")
    if np.isnan(X).any():
        raise ValueError("X must not contain NaN")
    n, length, features = X.shape
    y = np.asarray(y)
    if y.ndim != 1 or len(y) < n:
        raise ValueError(f"y must hold one label per sequence ({n}), got shape {y.shape}")
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)):
        raise ValueError(f"window must be a whole number, got {window!r}")
    if not 1 <= window <= length:
        raise ValueError(f"window must be between 1 and L = {length}, got {window}")
    starts = length - window + 1
    Xw = np.stack([X[i, s : s + window] for i in range(n) for s in range(starts)])
    return Xw.astype(np.float32), np.repeat(y[:n], starts)
