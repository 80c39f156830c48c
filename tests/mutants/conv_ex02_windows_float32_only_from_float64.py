"""Mistake: ``sliding_windows`` casts float64 input to float32, and passes any other dtype
through (int input gives int windows).

"Returned inputs for Keras are float32" whatever comes in: an ``astype`` behind
``if X.dtype == np.float64`` covers the dtype of the lesson's data only.
"""

import numpy as np

from .ex02_windows import _window

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_sliding_windows_returns_float32_3d_inputs"]
SLOW = False


def sliding_windows(X, y, window):
    X = np.array(X)
    if X.ndim not in (2, 3):
        raise ValueError(f"X must be 2-D or 3-D, got {X.ndim}-D")
    if X.dtype == np.float64:
        X = X.astype(np.float32)
    if np.isnan(X.astype(np.float64)).any():
        raise ValueError("X must not contain NaN")
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    n, length, features = X.shape
    y = np.asarray(y)
    if len(y) != n:
        raise ValueError(f"y must have {n} labels, got {len(y)}")
    window = _window(window, length)
    views = np.lib.stride_tricks.sliding_window_view(X, window, axis=1)
    Xw = np.ascontiguousarray(views.transpose(0, 1, 3, 2)).reshape(-1, window, features)
    return Xw, np.repeat(y, length - window + 1)
