"""Mistake: sizes that do not divide are truncated (leftover sequences and timesteps dropped)
instead of raising ``ValueError``.
"""

import numpy as np

from lstm_lab import checks

MODULE = "ex03_labels"
KIND = "mistake"
CATCHES = [
    "test_stateful_batches_rejects_bad_input[batch-not-dividing]",
    "test_stateful_batches_rejects_bad_input[chunk-not-dividing]",
    "test_stateful_batches_agrees_with_solutions",
]
SLOW = False


def stateful_batches(X, y, batch_size, chunk=1):
    X = checks.sequences(X)
    y = checks.labels(y, len(X))
    batch_size = checks.positive_int(batch_size, "batch_size")
    chunk = checks.positive_int(chunk, "chunk")
    groups, chunks = len(X) // batch_size, X.shape[1] // chunk
    X = X[: groups * batch_size, : chunks * chunk]
    y = y[: groups * batch_size]
    Xs = X.reshape(groups, batch_size, chunks, chunk, -1).transpose(0, 2, 1, 3, 4)
    ys = np.broadcast_to(y.reshape(groups, 1, batch_size), (groups, chunks, batch_size))
    return Xs.reshape(-1, chunk, X.shape[2]), ys.reshape(-1)
