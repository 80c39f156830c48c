"""Mistake: the target is the last value of the window, not the value after it.

``y[i] = series[i + lag - 1]``: the model learns to copy its input.
"""

import numpy as np

from lstm_lab import checks

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = [
    "test_to_supervised_frames_lag_values_before_each_target",
    "test_to_supervised_agrees_with_solutions",
]
SLOW = False


def to_supervised(series, lag=1):
    values = checks.series(series)
    lag = checks.positive_int(lag, "lag")
    if lag >= len(values):
        raise ValueError(f"lag must be less than the length of series ({len(values)}), got {lag}")
    n = len(values) - lag
    X = np.stack([values[i : i + lag] for i in range(n)]).astype(np.float32)[:, :, np.newaxis]
    y = np.array([values[i + lag - 1] for i in range(n)], dtype=np.float32)
    return X, y
