"""Mistake: ``stateful_batches`` leaves the divisibility of the sizes to ``reshape``.

With ``n % batch_size != 0`` NumPy raises "cannot reshape array of size 24 into shape
(1,4,2,2,1)", and ``batch_size = 0`` divides by zero: errors, but none says which argument is
wrong or why. The contract asks for a ``ValueError`` that names it.
"""

import numpy as np

MODULE = "ex03_labels"
KIND = "mistake"
CATCHES = [
    "test_stateful_batches_refuses_bad_input_by_name[batch_size-not-dividing]",
    "test_stateful_batches_refuses_bad_input_by_name[chunk-not-dividing]",
    "test_stateful_batches_refuses_bad_input_by_name[batch_size-0]",
    "test_stateful_batches_refuses_bad_input_by_name[chunk-0]",
]
SLOW = False


def stateful_batches(X, y, batch_size, chunk=1):
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    if X.ndim != 3:
        raise ValueError(f"X must be 2-D or 3-D, got {X.ndim}-D")
    if np.isnan(X).any():
        raise ValueError("X must not contain NaN")
    n, length, features = X.shape
    y = np.asarray(y)
    if len(y) != n:
        raise ValueError(f"y must have {n} labels, got {len(y)}")
    groups, chunks = n // batch_size, length // chunk
    Xs = (
        X.reshape(groups, batch_size, chunks, chunk, features)
        .transpose(0, 2, 1, 3, 4)
        .reshape(-1, chunk, features)
    )
    ys = np.repeat(y.reshape(groups, 1, batch_size), chunks, axis=1).reshape(-1)
    return Xs, ys
