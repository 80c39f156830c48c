"""Mistake: no check that ``lag < len(series)``: the framing comes back empty instead of failing.

pandas' ``dropna`` happily drops every row, and the student gets ``X`` of shape ``(0, lag, 1)``.
"""

import numpy as np
import pandas as pd

from lstm_lab import checks

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = [
    "test_to_supervised_rejects_bad_input[lag-equals-len]",
    "test_to_supervised_rejects_bad_input[lag-beyond-len]",
    "test_to_supervised_agrees_with_solutions",
]
SLOW = False


def to_supervised(series, lag=1):
    values = checks.series(series)
    lag = checks.positive_int(lag, "lag")
    frame = pd.DataFrame({"t": values})
    shifted = [frame["t"].shift(k) for k in range(lag, 0, -1)]
    supervised = pd.concat([*shifted, frame["t"]], axis=1).dropna()
    X = supervised.iloc[:, :lag].to_numpy(dtype=np.float32)[:, :, np.newaxis]
    y = supervised.iloc[:, lag].to_numpy(dtype=np.float32)
    return X, y
