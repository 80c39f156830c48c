"""Variant: ``to_supervised`` with ``sliding_window_view``, its messages naming the argument in
backticks (```lag` must ...``).
"""

import numbers

import numpy as np

MODULE = "ex01_lifecycle"
KIND = "variant"
CATCHES = []
SLOW = False


def to_supervised(series, lag=1):
    values = np.asarray(series)
    if values.ndim != 1:
        raise ValueError(f"`series` must be one-dimensional; it has shape {values.shape}")
    if not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"`series` must hold numbers, not {values.dtype}")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError("`series` contains NaN or infinite values")
    if isinstance(lag, bool) or not isinstance(lag, numbers.Integral):
        raise ValueError(f"`lag` must be a whole number, not {lag!r}")
    if not 1 <= lag < len(values):
        raise ValueError(f"`lag` must satisfy 1 <= lag < {len(values)}, got {lag}")
    windows = np.lib.stride_tricks.sliding_window_view(values, lag)[:-1]
    return windows[:, :, None].astype(np.float32), values[lag:].astype(np.float32)
