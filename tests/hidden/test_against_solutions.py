"""Differential checks: on generated inputs the target agrees with the solutions.

Each property here is "same input, same answer as the reference", including the same verdict on
bad input (the reference raises ValueError exactly when the target must). Inputs include edge
sizes (window == L, chunk == L, batch_size == n, a single sequence).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rubric"))

import strategies  # noqa: E402
from support import (  # noqa: E402
    called,
    expect_close,
    expect_stratified,
    fail,
    sequence_ids,
    show,
)

from lstm_lab.grading.errors import StudentError  # noqa: E402

exercise = pytest.mark.exercise


def both(target, reference, module, function, *args, **kwargs):
    """``(target's answer, reference's answer)``; a reference ValueError must be matched."""
    call = called(function, *args, **kwargs)
    try:
        expected = reference.call(module, function, *args, **kwargs)
    except StudentError as error:
        if not error.is_a("ValueError"):
            raise
        try:
            got = target.call(module, function, *args, **kwargs)
        except StudentError as student:
            if student.is_a("ValueError"):
                return None, None, call
            fail(
                call,
                f"it raised {student.type_name}: {student.message}",
                f"ValueError (the reference says: {error.message})",
                student.hint,
            )
        fail(call, f"it returned {show(got)}", f"ValueError (the reference says: {error.message})")
    got = target.call(module, function, *args, **kwargs)
    return got, expected, call


def compare(got, expected, call, what="the result"):
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            fail(call, f"it returned {show(got)}", f"{len(expected)} values like the reference")
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, call, f"{what}[{i}]")
        return
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            fail(call, f"{what} was {show(got)}", "a NumPy array")
        expect_close(got, expected, call, what, "compare with the contract", atol=1e-5)
        return
    if not np.isclose(float(got), float(expected), atol=1e-9):
        fail(call, f"{what} was {got!r}", f"{expected!r}")


@exercise("ex01_lifecycle", points=1)
@given(data=strategies.series(min_len=1, max_len=12), lag=st.integers(-1, 13))
def test_to_supervised_agrees_with_solutions(target, reference, data, lag):
    got, expected, call = both(target, reference, "ex01_lifecycle", "to_supervised", data, lag)
    if expected is not None:
        compare(got, expected, call)


@exercise("ex01_lifecycle", points=1)
@given(probs=strategies.probabilities())
def test_probabilities_to_classes_agrees_with_solutions(target, reference, probs):
    got, expected, call = both(
        target, reference, "ex01_lifecycle", "probabilities_to_classes", probs
    )
    if expected is not None:
        compare(got, expected, call)


@exercise("ex02_windows", points=1)
@given(data=strategies.sequences(distinct=False), window=st.integers(0, 13))
def test_sliding_windows_agrees_with_solutions(target, reference, data, window):
    X, y = data
    got, expected, call = both(target, reference, "ex02_windows", "sliding_windows", X, y, window)
    if expected is not None:
        compare(got, expected, call)


@exercise("ex02_windows", points=1)
@given(
    n=st.integers(20, 30),
    ones=st.floats(0.25, 0.75),
    window=st.integers(1, 6),
    seed=st.integers(0, 99),
    fraction=st.sampled_from([0.1, 0.2, 0.25, 0.3]),
)
def test_window_dataset_agrees_with_solutions(target, reference, n, ones, window, seed, fraction):
    # The contract fixes properties of the split, not the reference's random draw: the sides'
    # sizes are the reference's, each side is whole sequences windowed in order, no sequence on
    # both sides, the labels follow their sequences, the split is stratified on y, and the same
    # seed gives the same split. (A split written by hand with np.random.default_rng(seed) is as
    # right as train_test_split's.)
    rng = np.random.default_rng(seed)
    X = rng.permutation(n * 6).reshape(n, 6) / (n * 6)
    y = np.zeros(n, dtype=np.int64)
    y[rng.permutation(n)[: int(round(ones * n))]] = 1
    got, expected, call = both(
        target, reference, "ex02_windows", "window_dataset", X, y, window, fraction, seed
    )
    if expected is None:
        return
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        fail(call, f"it returned {show(got)}", "(Xw_train, Xw_val, yw_train, yw_val)")
    shapes = [tuple(np.shape(v)) for v in got]
    if shapes != [tuple(np.shape(v)) for v in expected]:
        fail(
            call,
            f"the four arrays had shapes {shapes}",
            f"{[tuple(np.shape(v)) for v in expected]}, the reference's",
            "val_fraction is a fraction of the sequences, rounded up as train_test_split does",
        )
    X3 = X[:, :, None]
    train = sequence_ids(got[0], X3, window, call, "train")
    val = sequence_ids(got[1], X3, window, call, "validation")
    if sorted(train + val) != list(range(n)):
        fail(call, f"the sides held sequences {sorted(train + val)}", f"each of the {n} once")
    starts = 6 - window + 1
    compare(got[2], np.repeat(y[train], starts).astype(np.float64), call, "yw_train")
    compare(got[3], np.repeat(y[val], starts).astype(np.float64), call, "yw_val")
    expect_stratified(y, val, call)
    again = target.call("ex02_windows", "window_dataset", X, y, window, fraction, seed)
    if not all(np.array_equal(a, b) for a, b in zip(got, again)):
        fail(call, "a second call with the same seed split differently", "the same split")


@exercise("ex02_windows", points=1)
@given(length=st.integers(-1, 40), window=st.integers(-1, 41))
def test_stateless_ceiling_agrees_with_solutions(target, reference, length, window):
    got, expected, call = both(
        target, reference, "ex02_windows", "stateless_ceiling", length, window
    )
    if expected is not None:
        compare(got, expected, call)


@exercise("ex03_labels", points=1)
@given(y=st.lists(st.integers(0, 3), min_size=1, max_size=10), repeats=st.integers(-1, 6))
def test_expand_labels_agrees_with_solutions(target, reference, y, repeats):
    y = np.array(y)
    got, expected, call = both(target, reference, "ex03_labels", "expand_labels", y, repeats)
    if expected is not None:
        compare(got, expected, call)


@exercise("ex03_labels", points=2)
@given(
    case=st.one_of(
        # Arbitrary sizes are mostly bad input: draw layouts that divide as often, with values that
        # tell every timestep apart.
        strategies.divisible_sequences(),
        st.tuples(strategies.sequences(distinct=False), st.integers(0, 6), st.integers(0, 6)).map(
            lambda t: (*t[0], t[1], t[2])
        ),
    )
)
def test_stateful_batches_agrees_with_solutions(target, reference, case):
    X, y, batch_size, chunk = case
    got, expected, call = both(
        target, reference, "ex03_labels", "stateful_batches", X, y, batch_size, chunk
    )
    if expected is not None:
        compare(got, expected, call)
