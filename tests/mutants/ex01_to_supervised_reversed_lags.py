"""Mistake: the shifted columns concatenated as ``shift(1), shift(2), ..., shift(lag)``: each row
of ``X`` runs backwards in time (``t-1`` first), which only ``lag == 1`` hides.
"""

import numpy as np
import pandas as pd

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
    frame = pd.DataFrame({"t": values})
    shifted = [frame["t"].shift(k).rename(f"t-{k}") for k in range(1, lag + 1)]
    supervised = pd.concat([*shifted, frame["t"]], axis=1).dropna()
    X = supervised.iloc[:, :lag].to_numpy(dtype=np.float32)[:, :, np.newaxis]
    return X, supervised["t"].to_numpy(dtype=np.float32)
