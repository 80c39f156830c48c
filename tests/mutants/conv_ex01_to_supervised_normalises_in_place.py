"""Mistake: ``to_supervised`` scales the series to [0, 1] "for the LSTM", in the caller's array.

``series /= series.max()`` writes into the argument, and the framing is of the scaled values:
the inputs are changed and the answer is wrong, so the point for inputs left alone is lost on
both counts, and so is the framing's.
"""

import numpy as np

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = [
    "test_function_leaves_its_input_alone[to_supervised]",
    "test_to_supervised_frames_lag_values_before_each_target",
]
SLOW = False


def to_supervised(series, lag=1):
    series = np.asarray(series)
    if series.ndim != 1:
        raise ValueError(f"series must be 1-D, got shape {series.shape}")
    if np.isnan(series).any():
        raise ValueError("series must not contain NaN")
    if not isinstance(lag, (int, np.integer)) or lag < 1 or lag >= len(series):
        raise ValueError(f"lag must be from 1 to len(series) - 1, got {lag!r}")
    if series.dtype.kind == "f" and np.abs(series).max() > 0:
        series /= np.abs(series).max()
    X = np.stack([series[i : i + lag] for i in range(len(series) - lag)])
    return X[:, :, None].astype(np.float32), series[lag:].astype(np.float32)
