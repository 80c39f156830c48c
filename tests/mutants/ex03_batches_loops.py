"""Variant: ``stateful_batches`` with explicit loops over groups, chunks and slots."""

import numpy as np

MODULE = "ex03_labels"
KIND = "variant"
CATCHES = []
SLOW = False


def stateful_batches(X, y, batch_size, chunk=1):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[..., None]
    if X.ndim != 3:
        raise ValueError(f"X must be 2-D or 3-D, got shape {X.shape}")
    if np.isnan(X).any():
        raise ValueError("X must not hold NaN")
    n, length, _ = X.shape
    if len(y) != n:
        raise ValueError(f"y must have one label per sequence ({n}), got {len(y)}")
    if batch_size < 1 or n % batch_size:
        raise ValueError(f"batch_size must be positive and divide n = {n}, got {batch_size}")
    if chunk < 1 or length % chunk:
        raise ValueError(f"chunk must be positive and divide L = {length}, got {chunk}")
    rows, labels = [], []
    for first in range(0, n, batch_size):
        for start in range(0, length, chunk):
            for sequence in range(first, first + batch_size):
                rows.append(X[sequence, start : start + chunk])
                labels.append(y[sequence])
    return np.stack(rows), np.array(labels)
