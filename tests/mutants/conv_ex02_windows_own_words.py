"""Variant: ``sliding_windows`` as loops, its checks worded its own way (capitals, ``=``, no
"must"), each naming the argument at fault.
"""

import numbers

import numpy as np

MODULE = "ex02_windows"
KIND = "variant"
CATCHES = []
SLOW = False


def sliding_windows(X, y, window):
    data = np.asarray(X)
    if data.ndim not in (2, 3):
        raise ValueError(f"expected X with 2 or 3 axes (n, L[, f]); this one has {data.ndim}")
    data = data.astype(np.float32).reshape(data.shape[0], data.shape[1], -1)
    if np.isnan(data).any():
        raise ValueError("X holds NaN values, which cannot be windowed")
    n, length, features = data.shape
    labels = np.asarray(y)
    if labels.shape != (n,):
        raise ValueError(f"Got {labels.shape[0]} labels in y for {n} sequences in X")
    if isinstance(window, bool) or not isinstance(window, numbers.Integral):
        raise ValueError(f"Window={window!r} is not a whole number")
    if not 1 <= window <= length:
        raise ValueError(f"Window={window} is outside 1..{length} (the sequence length)")
    per_sequence = length - window + 1
    Xw = np.zeros((n * per_sequence, window, features), dtype=np.float32)
    yw = np.zeros(n * per_sequence, dtype=labels.dtype)
    for i in range(n):
        for start in range(per_sequence):
            Xw[i * per_sequence + start] = data[i, start : start + window]
            yw[i * per_sequence + start] = labels[i]
    return Xw, yw
