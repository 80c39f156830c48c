"""Mistake: rows taken sequence after sequence, ignoring groups and slots.

One sequence's chunks then lie across the batch axis: slot ``b`` of the next batch holds another
sequence (or a later chunk), so the state a slot carries belongs to nothing.
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
    return X.reshape(-1, chunk, features), np.repeat(y, length // chunk)
