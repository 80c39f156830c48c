"""Mistake: ``to_supervised``'s ``lag`` defaults to 2, not the contract's 1 (right for any lag
given)."""

import numpy as np

from lstm_lab import checks

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = ["test_to_supervised_lag_defaults_to_one"]
SLOW = False


def to_supervised(series, lag=2):
    values = checks.series(series)
    lag = checks.positive_int(lag, "lag")
    if lag >= len(values):
        raise ValueError(f"lag must be less than the length of series ({len(values)}), got {lag}")
    n = len(values) - lag
    X = np.stack([values[i : i + lag] for i in range(n)]).astype(np.float32)[:, :, np.newaxis]
    return X, values[lag:].astype(np.float32)
