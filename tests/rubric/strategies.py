"""Hypothesis strategies for the suite: shapes first, then data. Every float is bounded."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOATS = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def series(draw, *, min_len=2, max_len=30):
    """A 1-D float series."""
    n = draw(st.integers(min_len, max_len))
    return draw(hnp.arrays(np.float64, n, elements=FLOATS))


@st.composite
def sequences(
    draw, *, max_n=6, max_length=12, max_features=3, min_length=1, rank=None, distinct=True
):
    """``(X, y)``: ``X`` of shape ``(n, L)`` or ``(n, L, f)``, ``y`` of shape ``(n,)``.

    With ``distinct`` every value of ``X`` is different, so any window or chunk can be traced
    back to the one place it came from.
    """
    n = draw(st.integers(1, max_n))
    length = draw(st.integers(min_length, max_length))
    rank = draw(st.sampled_from([2, 3])) if rank is None else rank
    features = draw(st.integers(1, max_features)) if rank == 3 else 1
    shape = (n, length) if rank == 2 else (n, length, features)
    if distinct:
        seed = draw(st.integers(0, 2**32 - 1))
        size = int(np.prod(shape))
        values = np.random.default_rng(seed).permutation(size).astype(np.float64) / size
        X = values.reshape(shape)
    else:
        X = draw(hnp.arrays(np.float64, shape, elements=FLOATS))
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    return X, y


@st.composite
def divisible_sequences(draw, *, max_groups=3, max_batch=4, max_chunks=4, max_chunk=4):
    """``(X, y, batch_size, chunk)`` with ``n % batch_size == 0`` and ``L % chunk == 0``."""
    batch_size = draw(st.integers(1, max_batch))
    chunk = draw(st.integers(1, max_chunk))
    n = batch_size * draw(st.integers(1, max_groups))
    length = chunk * draw(st.integers(1, max_chunks))
    rank = draw(st.sampled_from([2, 3]))
    features = draw(st.integers(1, 3)) if rank == 3 else 1
    shape = (n, length) if rank == 2 else (n, length, features)
    seed = draw(st.integers(0, 2**32 - 1))
    size = int(np.prod(shape))
    X = np.random.default_rng(seed).permutation(size).astype(np.float64).reshape(shape) / size
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    return X, y, batch_size, chunk


@st.composite
def probabilities(draw, *, max_n=12, max_k=5):
    """Probabilities of shape ``(n,)``, ``(n, 1)`` or ``(n, k)`` in ``[0, 1]``."""
    n = draw(st.integers(1, max_n))
    kind = draw(st.sampled_from(["flat", "column", "softmax"]))
    shape = {"flat": (n,), "column": (n, 1), "softmax": (n, draw(st.integers(2, max_k)))}[kind]
    return draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1)))


@st.composite
def typed_sequences(draw, *, min_n=1, max_n=6, min_length=1, max_length=12, max_features=3):
    """``(X, y)`` as ``sequences`` draws them, with whole-number values (``0 .. X.size - 1``,
    all distinct), so that ``X`` casts to any numeric dtype without losing what it holds."""
    n = draw(st.integers(min_n, max_n))
    length = draw(st.integers(min_length, max_length))
    rank = draw(st.sampled_from([2, 3]))
    shape = (n, length) if rank == 2 else (n, length, draw(st.integers(1, max_features)))
    seed = draw(st.integers(0, 2**32 - 1))
    X = np.random.default_rng(seed).permutation(int(np.prod(shape))).astype(np.float64)
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    return X.reshape(shape), y
