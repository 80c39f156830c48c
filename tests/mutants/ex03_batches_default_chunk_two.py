"""Mistake: ``chunk`` defaults to 2 instead of 1: ``stateful_batches(X, y, b)`` cuts the
sequences into chunks of two timesteps (and fails on odd lengths)."""

import numpy as np

from lstm_lab import checks

MODULE = "ex03_labels"
KIND = "mistake"
CATCHES = ["test_stateful_batches_chunk_defaults_to_one"]
SLOW = False


def stateful_batches(X, y, batch_size, chunk=2):
    X = checks.sequences(X)
    n, length, features = X.shape
    y = checks.labels(y, n)
    batch_size = checks.positive_int(batch_size, "batch_size")
    chunk = checks.positive_int(chunk, "chunk")
    if n % batch_size:
        raise ValueError(f"batch_size must divide the number of sequences {n}, got {batch_size}")
    if length % chunk:
        raise ValueError(f"chunk must divide the sequence length {length}, got {chunk}")
    groups, chunks = n // batch_size, length // chunk
    Xs = X.reshape(groups, batch_size, chunks, chunk, features).transpose(0, 2, 1, 3, 4)
    ys = np.broadcast_to(y.reshape(groups, 1, batch_size), (groups, chunks, batch_size))
    return np.ascontiguousarray(Xs.reshape(-1, chunk, features)), ys.reshape(-1).copy()
