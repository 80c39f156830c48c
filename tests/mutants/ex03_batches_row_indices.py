"""Variant: ``stateful_batches`` by index arithmetic: for every row, the sequence
``group * batch_size + slot`` and the chunk's first timestep, then one fancy-indexing gather;
the labels are ``y`` at the same sequence indices. ``chunk`` left out means 1."""

import numpy as np

from lstm_lab import checks

MODULE = "ex03_labels"
KIND = "variant"
CATCHES = []
SLOW = False


def stateful_batches(X, y, batch_size, chunk=1):
    X = checks.sequences(X)
    n, length, features = X.shape
    y = checks.labels(y, n)
    batch_size = checks.positive_int(batch_size, "batch_size")
    chunk = checks.positive_int(chunk, "chunk")
    if n % batch_size or length % chunk:
        raise ValueError(
            f"batch_size must divide n = {n} and chunk must divide L = {length}, "
            f"got batch_size={batch_size}, chunk={chunk}"
        )
    chunks = length // chunk
    rows = np.arange(n * chunks)
    group, rest = np.divmod(rows, chunks * batch_size)
    c, slot = np.divmod(rest, batch_size)
    sequence = group * batch_size + slot
    steps = c[:, None] * chunk + np.arange(chunk)[None, :]
    Xs = X[sequence[:, None], steps]
    return Xs.astype(np.float32), y[sequence]
