"""ex02_windows: sliding windows, splitting sequences before windowing, the stateless ceiling."""

from __future__ import annotations

import numpy as np
import pytest
import strategies
from hypothesis import given
from hypothesis import strategies as st
from support import (
    as_array,
    called,
    expect_close,
    expect_shape,
    expect_value_error,
    fail,
    unpack,
)

from lstm_lab.data import echo_sequences

MODULE = "ex02_windows"
exercise = pytest.mark.exercise


def as3d(X):
    X = np.asarray(X, dtype=np.float64)
    return X[:, :, None] if X.ndim == 2 else X


def windows(target, X, y, window):
    call = called("sliding_windows", X, y, window=window, _names=["X", "y"])
    Xw, yw = unpack(target.call(MODULE, "sliding_windows", X, y, window), 2, call, "(Xw, yw)")
    return as_array(Xw, call, "Xw"), as_array(yw, call, "yw"), call


# -- sliding_windows -----------------------------------------------------------------------------
@exercise(MODULE, points=2)
@given(data=strategies.sequences(), fraction=st.floats(0, 1))
def test_sliding_windows_counts_every_start(target, data, fraction):
    # n * (L - w + 1) windows of shape (w, f): the last window ends on the last timestep.
    X, y = data
    n, length, features = as3d(X).shape
    window = 1 + int(fraction * (length - 1))
    Xw, yw, call = windows(target, X, y, window)
    starts = length - window + 1
    if len(Xw) != n * starts:
        fail(
            call,
            f"returned {len(Xw)} windows",
            f"{n * starts} ({starts} per sequence of length {length} with window {window}: "
            "L - w + 1)",
            "is your range of starts one short?",
        )
    expect_shape(
        Xw,
        (n * starts, window, features),
        call,
        "Xw",
        "windows are 3-D: (windows, window, features), even for 2-D X",
    )
    expect_shape(yw, (n * starts,), call, "yw", "one label per window")


@exercise(MODULE, points=3)
@given(data=strategies.sequences(), fraction=st.floats(0, 1))
def test_sliding_windows_orders_by_sequence_then_start(target, data, fraction):
    # Window j is sequence j // S from start j % S (S = L - w + 1), labelled as its sequence.
    X, y = data
    X3 = as3d(X)
    n, length, _ = X3.shape
    window = 1 + int(fraction * (length - 1))
    Xw, yw, call = windows(target, X, y, window)
    starts = length - window + 1
    if len(Xw) != n * starts:
        fail(call, f"returned {len(Xw)} windows", f"{n * starts}")
    expected = np.stack([X3[j // starts, j % starts : j % starts + window] for j in range(len(Xw))])
    expect_close(
        Xw,
        expected,
        call,
        "Xw",
        "order by sequence first, then by window start; window j starts at j % (L-w+1)",
        atol=1e-6,
    )
    expect_close(
        yw,
        np.repeat(y, starts),
        call,
        "yw",
        "each window takes the label of the sequence it came from",
    )


@exercise(MODULE, points=1)
def test_sliding_windows_returns_float32_and_keeps_input(target):
    X, y = echo_sequences(4, 6, seed=3)
    X = X[:, :, 0].astype(np.float64)
    Xw, _, call = windows(target, X, y, 3)
    if Xw.dtype != np.float32:
        fail(call, f"Xw had dtype {Xw.dtype}", "float32", "Keras inputs are float32")


@exercise(MODULE, points=1)
@pytest.mark.parametrize(
    "shape, y_len, window, rule",
    [
        ((3, 5), 3, 0, "window must be at least 1"),
        ((3, 5), 3, 6, "window must not exceed L"),
        ((3, 5), 2, 2, "len(y) must equal n"),
        ((15,), 3, 2, "X must be 2-D or 3-D"),
        ((3, 5, 1, 1), 3, 2, "X must be 2-D or 3-D"),
    ],
    ids=["window-0", "window-beyond-L", "y-too-short", "1-D-X", "4-D-X"],
)
def test_sliding_windows_rejects_bad_input(target, shape, y_len, window, rule):
    X = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    expect_value_error(target, MODULE, "sliding_windows", X, np.zeros(y_len), window, rule=rule)


# -- window_dataset ------------------------------------------------------------------------------
def sequence_ids(Xw, X3, window, call, side):
    """Which sequence each run of S windows came from (every value of X3 is distinct)."""
    starts = X3.shape[1] - window + 1
    if len(Xw) % starts:
        fail(
            call,
            f"the {side} side had {len(Xw)} windows",
            f"a multiple of {starts} (L - w + 1 per sequence)",
            "split whole sequences, then window each side",
        )
    ids = []
    first_windows = {X3[i, :window].astype(np.float32).tobytes(): i for i in range(len(X3))}
    for k in range(0, len(Xw), starts):
        key = np.asarray(Xw[k], dtype=np.float32).tobytes()
        if key not in first_windows:
            fail(
                call,
                f"{side} window {k} is not the first window of any sequence",
                "each sequence's windows together, in order of start",
                "window each side with sliding_windows after splitting",
            )
        i = first_windows[key]
        expected = np.stack([X3[i, s : s + window] for s in range(starts)])
        if not np.allclose(np.asarray(Xw[k : k + starts], dtype=np.float64), expected, atol=1e-6):
            fail(
                call,
                f"the {side} windows {k}..{k + starts - 1} are not all from sequence {i}",
                "the L - w + 1 windows of one sequence in a row",
                "windows from one sequence must not be shared between sides",
            )
        ids.append(i)
    return ids


@exercise(MODULE, points=3)
@given(seed=st.integers(0, 2**16), window=st.integers(1, 8), n_half=st.integers(5, 15))
def test_window_dataset_splits_sequences_before_windowing(target, seed, window, n_half):
    # No sequence contributes windows to both sides; together the sides hold every sequence once.
    n, length = 2 * n_half, 8
    X = np.random.default_rng(seed).permutation(n * length).reshape(n, length) / (n * length)
    y = np.tile([0, 1], n_half)
    call = called(
        "window_dataset", X, y, window=window, val_fraction=0.2, seed=seed, _names=["X", "y"]
    )
    result = target.call(MODULE, "window_dataset", X, y, window, val_fraction=0.2, seed=seed)
    Xw_train, Xw_val, yw_train, yw_val = (
        as_array(v, call, name)
        for v, name in zip(
            unpack(result, 4, call, "(Xw_train, Xw_val, yw_train, yw_val)"),
            ("Xw_train", "Xw_val", "yw_train", "yw_val"),
        )
    )
    X3 = as3d(X)
    train = sequence_ids(Xw_train, X3, window, call, "train")
    val = sequence_ids(Xw_val, X3, window, call, "validation")
    both = set(train) & set(val)
    if both:
        fail(
            call,
            f"sequences {sorted(both)[:5]} gave windows to both sides",
            "every sequence on one side only",
            "split the sequences first (train_test_split on X, y), then window each side",
        )
    if sorted(train + val) != list(range(n)):
        fail(call, f"the sides held {len(train)} + {len(val)} sequences", f"all {n} once each")
    expected_val = int(np.ceil(0.2 * n))
    if len(val) != expected_val:
        fail(
            call,
            f"the validation side had {len(val)} sequences",
            f"{expected_val} (val_fraction of the sequences, rounded up as train_test_split does)",
            "val_fraction is a fraction of sequences, not of windows",
        )
    starts = length - window + 1
    expect_close(
        yw_train,
        np.repeat(y[train], starts),
        call,
        "yw_train",
        "each window keeps its sequence's label",
    )
    expect_close(
        yw_val, np.repeat(y[val], starts), call, "yw_val", "each window keeps its sequence's label"
    )


@exercise(MODULE, points=1)
def test_window_dataset_stratifies_on_labels(target):
    X, y = echo_sequences(100, 20, seed=4)
    call = called("window_dataset", X, y, window=20, val_fraction=0.1, seed=0, _names=["X", "y"])
    result = unpack(target.call(MODULE, "window_dataset", X, y, 20, 0.1, 0), 4, call, "4 arrays")
    yw_val = as_array(result[3], call, "yw_val")
    ones = int(np.sum(yw_val))
    if len(yw_val) != 10 or ones != 5:
        fail(
            call,
            f"the validation side had {len(yw_val)} windows with {ones} ones",
            "10 windows (whole sequences), 5 of them ones",
            "stratify the split on y: train_test_split(..., stratify=y)",
        )


@exercise(MODULE, points=1)
def test_window_dataset_is_seeded(target):
    X, y = echo_sequences(40, 6, seed=5)
    call = called("window_dataset", X, y, window=3, seed=7, _names=["X", "y"])
    first = target.call(MODULE, "window_dataset", X, y, 3, seed=7)
    second = target.call(MODULE, "window_dataset", X, y, 3, seed=7)
    for a, b, name in zip(first, second, ("Xw_train", "Xw_val", "yw_train", "yw_val")):
        if not np.array_equal(a, b):
            fail(
                call,
                f"two calls gave different {name}",
                "the same split for the same seed",
                "pass seed as random_state to the split",
            )


# -- stateless_ceiling ---------------------------------------------------------------------------
@exercise(MODULE, points=2)
@given(length=st.integers(1, 60), fraction=st.floats(0, 1))
def test_stateless_ceiling_matches_the_coin_toss_bound(target, length, fraction):
    window = 1 + int(fraction * (length - 1))
    call = called("stateless_ceiling", length, window, _names=["seq_len", "window"])
    got = target.call(MODULE, "stateless_ceiling", length, window)
    others = length - window
    expected = 1.0 if others == 0 else (1 + 0.5 * others) / (others + 1)
    if not isinstance(got, (int, float)) or not np.isclose(got, expected, atol=1e-9):
        fail(
            call,
            f"returned {got!r}",
            f"{expected:.6f}",
            "one window in L - w + 1 sees the bit; the rest are right half the time",
        )


@exercise(MODULE, points=1)
def test_stateless_ceiling_of_the_lesson(target):
    # The lesson's figure: windows of 10 over sequences of 20 cannot beat 6/11.
    got = target.call(MODULE, "stateless_ceiling", 20, 10)
    if not np.isclose(got, 6 / 11):
        fail(called("stateless_ceiling", 20, 10), f"returned {got!r}", "6/11 = 0.5454...")


@exercise(MODULE, points=1)
@pytest.mark.parametrize(
    "args, rule",
    [
        ((20, 0), "window must be at least 1"),
        ((20, 21), "window must not exceed seq_len"),
        ((0, 1), "seq_len must be at least 1"),
    ],
    ids=["window-0", "window-beyond", "length-0"],
)
def test_stateless_ceiling_rejects_bad_input(target, args, rule):
    expect_value_error(target, MODULE, "stateless_ceiling", *args, rule=rule)
