"""Mistake: the rows are laid out right, but the labels are repeated sequence after sequence.

``np.repeat(y, L // chunk)`` gives each row the label of the wrong sequence once
``batch_size > 1``.
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
    Xs = X.reshape(groups, batch_size, chunks, chunk, features).transpose(0, 2, 1, 3, 4)
    return Xs.reshape(-1, chunk, features), np.repeat(y, chunks)
