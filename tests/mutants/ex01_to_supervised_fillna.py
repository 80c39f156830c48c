"""Mistake: the classic pandas framing with ``fillna(0)`` where ``dropna()`` belongs: the first
``lag`` rows stay, their missing past filled with zeros, so ``X`` has ``len`` rows, not
``len - lag``.

One mistake, one penalty: ``run_lifecycle`` built on it still learns the ramp and reports the
evaluate loss and predictions of its own framing, which its (slow) tests accept.
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
    frame = pd.DataFrame({"y": values})
    past = pd.concat([frame["y"].shift(k) for k in range(lag, 0, -1)], axis=1).fillna(0)
    X = past.to_numpy(dtype=np.float32)[:, :, np.newaxis]
    return X, values.astype(np.float32)
