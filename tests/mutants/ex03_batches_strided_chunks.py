"""Mistake: chunks cut with the wrong reshape order, ``(n, chunk, L // chunk)``: chunk ``c`` holds
timesteps ``c, c + L // chunk, ...`` instead of ``c * chunk, ..., (c + 1) * chunk - 1``.
"""

import numpy as np

from lstm_lab import checks

MODULE = "ex03_labels"
KIND = "mistake"
CATCHES = [
    "test_stateful_batches_slot_b_continues_the_same_sequence",
    "test_stateful_batches_agrees_with_solutions",
]
SLOW = False


def stateful_batches(X, y, batch_size, chunk=1):
    X = checks.sequences(X)
    n, length, features = X.shape
    y = checks.labels(y, n)
    if batch_size < 1 or n % batch_size:
        raise ValueError(f"batch_size must divide the number of sequences {n}, got {batch_size}")
    if chunk < 1 or length % chunk:
        raise ValueError(f"chunk must divide the sequence length {length}, got {chunk}")
    groups, chunks = n // batch_size, length // chunk
    Xs = X.reshape(groups, batch_size, chunk, chunks, features).transpose(0, 3, 1, 2, 4)
    ys = np.repeat(y.reshape(groups, 1, batch_size), chunks, axis=1)
    return Xs.reshape(-1, chunk, features), ys.reshape(-1)
