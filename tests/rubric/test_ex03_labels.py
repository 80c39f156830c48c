"""ex03_labels: labels repeated per timestep, and the layout a stateful layer needs."""

from __future__ import annotations

import numpy as np
import pytest
import strategies
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from support import (
    as_array,
    called,
    expect_close,
    expect_shape,
    expect_value_error,
    fail,
    unpack,
)

MODULE = "ex03_labels"
exercise = pytest.mark.exercise


def as3d(X):
    X = np.asarray(X, dtype=np.float64)
    return X[:, :, None] if X.ndim == 2 else X


# -- expand_labels -------------------------------------------------------------------------------
@exercise(MODULE, points=2)
@given(
    y=hnp.arrays(np.int64, st.integers(1, 12), elements=st.integers(0, 5)),
    repeats=st.integers(1, 7),
)
def test_expand_labels_repeats_each_label_in_a_row(target, y, repeats):
    # [y0]*r + [y1]*r + ...: the labels of sequences fed one timestep at a time, one after another.
    call = called("expand_labels", y, repeats=repeats, _names=["y"])
    got = as_array(target.call(MODULE, "expand_labels", y, repeats), call, "the result")
    expected = np.array([y[i // repeats] for i in range(len(y) * repeats)])
    expect_shape(got, expected.shape, call, "the result", "n * repeats labels")
    hint = "each label repeated in a run, in order"
    if len(y) > 1 and repeats > 1 and np.array_equal(got, np.tile(y, repeats)):
        hint = "np.tile repeats the whole array; repeat each label in place (np.repeat)"
    elif np.count_nonzero(got) < np.count_nonzero(expected):
        hint = "most labels came back 0: does your loop fill a run, or overwrite one slot?"
    expect_close(got, expected, call, "the labels", hint, atol=0)


@exercise(MODULE, points=1)
@pytest.mark.parametrize(
    "y, repeats, rule",
    [
        (np.array([0, 1]), 0, "repeats must be at least 1"),
        (np.array([0, 1]), -2, "repeats must be at least 1"),
        (np.zeros((2, 2)), 3, "y must be 1-D"),
        (np.array(1), 3, "y must be 1-D"),
    ],
    ids=["repeats-0", "repeats-negative", "2-D-y", "0-d-y"],
)
def test_expand_labels_rejects_bad_input(target, y, repeats, rule):
    expect_value_error(target, MODULE, "expand_labels", y, repeats, rule=rule)


# -- stateful_batches ----------------------------------------------------------------------------
def layout(target, X, y, batch_size, chunk):
    call = called("stateful_batches", X, y, batch_size=batch_size, chunk=chunk, _names=["X", "y"])
    Xs, ys = unpack(
        target.call(MODULE, "stateful_batches", X, y, batch_size, chunk), 2, call, "(Xs, ys)"
    )
    return as_array(Xs, call, "Xs"), as_array(ys, call, "ys"), call


def labels_hint(ys, y, batch_size, chunks) -> str:
    """A hint that follows from the labels that came back, for the layout
    ``(group, chunk, slot)`` of ``batch_size`` slots and ``chunks`` chunks a sequence."""
    ys = np.asarray(ys).reshape(-1)
    rule = "ys[r] is the label of the sequence row r of Xs came from"
    if len(ys) != len(y) * chunks:
        return f"one label per row of Xs ({len(y) * chunks}): {rule}"
    if batch_size > 1 and chunks > 1 and np.array_equal(ys, np.repeat(y, chunks)):
        return (
            f"these are each label {chunks} times in a row (expand_labels(y, L // chunk)): the "
            "order of batch size 1 only; with batch_size > 1 the rows go (group, chunk, slot), "
            f"so {rule}"
        )
    if chunks > 1 and len(y) > 1 and np.array_equal(ys, np.tile(y, chunks)):
        return f"np.tile repeats the whole array; {rule}"
    return rule


@exercise(MODULE, points=1)
@given(data=strategies.divisible_sequences())
def test_stateful_batches_shape(target, data):
    X, y, batch_size, chunk = data
    n, length, features = as3d(X).shape
    Xs, ys, call = layout(target, X, y, batch_size, chunk)
    expect_shape(
        Xs,
        (n * length // chunk, chunk, features),
        call,
        "Xs",
        "one row per chunk of every sequence: (n * L // chunk, chunk, f)",
    )
    expect_shape(ys, (n * length // chunk,), call, "ys", "one label per row")
    if Xs.dtype != np.float32:
        fail(call, f"Xs had dtype {Xs.dtype}", "float32")


@exercise(MODULE, points=3)
@given(data=strategies.divisible_sequences())
def test_stateful_batches_slot_b_continues_the_same_sequence(target, data):
    # Row (group g, chunk c, slot b) is chunk c of sequence g * batch_size + b.
    X, y, batch_size, chunk = data
    X3 = as3d(X)
    n, length, features = X3.shape
    chunks = length // chunk
    Xs, ys, call = layout(target, X, y, batch_size, chunk)
    expect_shape(Xs, (n * chunks, chunk, features), call, "Xs")
    for row in range(len(Xs)):
        group, rest = divmod(row, chunks * batch_size)
        c, b = divmod(rest, batch_size)
        sequence = group * batch_size + b
        expected = X3[sequence, c * chunk : (c + 1) * chunk]
        if not np.allclose(Xs[row], expected, atol=1e-6):
            fail(
                call,
                f"row {row} (batch {row // batch_size}, slot {b}) did not hold chunk {c} "
                f"of sequence {sequence}",
                "rows in the order (group, chunk, slot)",
                "slot b of consecutive batches must continue the same sequence: don't lay one "
                "sequence's timesteps across the batch axis",
            )
        if ys[row] != y[sequence]:
            fail(
                call,
                f"ys[{row}] was {ys[row]}",
                f"{y[sequence]}, the label of sequence {sequence}",
                labels_hint(ys, y, batch_size, chunks),
            )


@exercise(MODULE, points=1)
@given(data=strategies.sequences(max_n=5, max_length=8))
def test_stateful_batches_of_one_is_sequence_after_sequence(target, data):
    # stateful_batches(X, y, 1, 1) feeds each sequence one timestep at a time, in order; its labels
    # are then each sequence's label L times in a row (what expand_labels(y, L) gives, for this
    # layout only).
    X, y = data
    X3 = as3d(X)
    n, length, features = X3.shape
    Xs, ys, call = layout(target, X, y, 1, 1)
    expect_close(
        Xs,
        X3.reshape(n * length, 1, features),
        call,
        "Xs",
        "with batch size 1 and chunk 1, rows are every timestep of sequence 0, then 1…",
        atol=1e-6,
    )
    expect_close(ys, np.repeat(y, length), call, "ys", labels_hint(ys, y, 1, length))


@exercise(MODULE, points=1)
@pytest.mark.parametrize("batch_size", [1, 2])
def test_stateful_batches_chunk_defaults_to_one(target, batch_size):
    # stateful_batches(X, y, b) is stateful_batches(X, y, b, chunk=1): one timestep a row.
    n, length = 4, 6
    X = np.random.default_rng(6).permutation(n * length).reshape(n, length) / (n * length)
    y = np.array([0, 1, 1, 0])
    call = called("stateful_batches", X, y, batch_size=batch_size, _names=["X", "y"])
    Xs, ys = unpack(target.call(MODULE, "stateful_batches", X, y, batch_size), 2, call, "(Xs, ys)")
    Xs, ys = as_array(Xs, call, "Xs"), as_array(ys, call, "ys")
    groups = n // batch_size
    expected = X.reshape(groups, batch_size, length).transpose(0, 2, 1).reshape(-1, 1, 1)
    expect_close(
        Xs,
        expected,
        call,
        "Xs",
        "chunk defaults to 1: the signature is stateful_batches(X, y, batch_size, chunk=1)",
    )
    labels = np.broadcast_to(y.reshape(groups, 1, batch_size), (groups, length, batch_size))
    expect_close(ys, labels.reshape(-1), call, "ys", labels_hint(ys, y, batch_size, length))


@exercise(MODULE, points=1)
@pytest.mark.parametrize(
    "shape, y_len, batch_size, chunk, rule",
    [
        ((6, 4), 6, 4, 1, "batch_size must divide n"),
        ((6, 4), 6, 2, 3, "chunk must divide L"),
        ((6, 4), 6, 0, 1, "batch_size must be at least 1"),
        ((6, 4), 6, 2, 0, "chunk must be at least 1"),
        ((6, 4), 5, 2, 1, "len(y) must equal n"),
        ((6, 4), 7, 2, 1, "len(y) must equal n"),
        ((24,), 6, 2, 1, "X must be 2-D or 3-D"),
    ],
    ids=[
        "batch-not-dividing",
        "chunk-not-dividing",
        "batch-0",
        "chunk-0",
        "y-length",
        "y-too-long",
        "1-D-X",
    ],
)
def test_stateful_batches_rejects_bad_input(target, shape, y_len, batch_size, chunk, rule):
    X = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    expect_value_error(
        target, MODULE, "stateful_batches", X, np.zeros(y_len), batch_size, chunk, rule=rule
    )
