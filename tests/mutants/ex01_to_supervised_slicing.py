"""Variant: ``to_supervised`` with NumPy slicing, no pandas."""

import numpy as np

MODULE = "ex01_lifecycle"
KIND = "variant"
CATCHES = []
SLOW = False


def to_supervised(series, lag=1):
    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {values.shape}")
    if np.isnan(values).any():
        raise ValueError("series must not contain NaN")
    if not isinstance(lag, (int, np.integer)) or lag < 1 or lag >= len(values):
        raise ValueError(f"lag must be an integer from 1 to len(series) - 1, got {lag!r}")
    X = np.lib.stride_tricks.sliding_window_view(values[:-1], lag)
    return X[..., None].astype(np.float32), values[lag:].astype(np.float32)
