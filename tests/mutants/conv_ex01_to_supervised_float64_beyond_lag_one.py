"""Mistake: ``to_supervised`` returns ``float32`` for ``lag = 1`` only.

The lag-1 framing takes a shortcut that casts; the general one stacks slices of the float64
series and never casts. The lesson's example (lag 1) is float32, every other lag float64.
"""

import numpy as np

from lstm_lab import checks

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = ["test_to_supervised_returns_float32_3d_inputs"]
SLOW = False


def to_supervised(series, lag=1):
    values = checks.series(series)
    lag = checks.positive_int(lag, "lag")
    if lag >= len(values):
        raise ValueError(f"lag must be less than len(series) = {len(values)}, got {lag}")
    if lag == 1:
        return values[:-1, None, None].astype(np.float32), values[1:].astype(np.float32)
    X = np.stack([values[i : i + lag] for i in range(len(values) - lag)])
    return X[:, :, None], values[lag:].astype(np.float32)
