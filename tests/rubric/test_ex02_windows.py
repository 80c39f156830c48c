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
    sequence_ids,
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
        ((3, 5), 4, 2, "len(y) must equal n"),
        ((15,), 3, 2, "X must be 2-D or 3-D"),
        ((3, 5, 1, 1), 3, 2, "X must be 2-D or 3-D"),
    ],
    ids=["window-0", "window-beyond-L", "y-too-short", "y-too-long", "1-D-X", "4-D-X"],
)
def test_sliding_windows_rejects_bad_input(target, shape, y_len, window, rule):
    X = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    expect_value_error(target, MODULE, "sliding_windows", X, np.zeros(y_len), window, rule=rule)


# -- window_dataset ------------------------------------------------------------------------------
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


def distinct_sequences(n, length, seed):
    """``n`` sequences of ``length`` distinct values (each window traces back to its sequence),
    half of them labelled 1."""
    X = np.random.default_rng(seed).permutation(n * length).reshape(n, length) / (n * length)
    return X, np.tile([0, 1], (n + 1) // 2)[:n]


def split(target, X, y, *args, **kwargs):
    """``window_dataset``'s four arrays (checked to be arrays), and the call as a student sees."""
    call = called("window_dataset", X, y, *args, _names=["X", "y", "window"], **kwargs)
    result = target.call(MODULE, "window_dataset", X, y, *args, **kwargs)
    names = ("Xw_train", "Xw_val", "yw_train", "yw_val")
    arrays = unpack(result, 4, call, "(" + ", ".join(names) + ")")
    return tuple(as_array(v, call, name) for v, name in zip(arrays, names)), call


@exercise(MODULE, points=1)
def test_window_dataset_defaults_are_a_tenth_and_seed_0(target):
    # window_dataset(X, y, w) is window_dataset(X, y, w, val_fraction=0.1, seed=0).
    X, y = distinct_sequences(40, 6, seed=8)
    default, call = split(target, X, y, 3)
    explicit, _ = split(target, X, y, 3, 0.1, 0)
    val = sequence_ids(default[1], as3d(X), 3, call, "validation")
    if len(val) != 4:
        fail(
            call,
            f"the validation side had {len(val)} sequences",
            "4: val_fraction defaults to 0.1 of the 40 sequences",
            "the signature is window_dataset(X, y, window, val_fraction=0.1, seed=0)",
        )
    for a, b, name in zip(default, explicit, ("Xw_train", "Xw_val", "yw_train", "yw_val")):
        if a.shape != b.shape or not np.array_equal(a, b):
            fail(
                call,
                f"its {name} differed from that of window_dataset(X, y, 3, 0.1, 0)",
                "the same split: seed defaults to 0",
                "the signature is window_dataset(X, y, window, val_fraction=0.1, seed=0)",
            )


@exercise(MODULE, points=1)
def test_window_dataset_seeds_choose_the_split(target):
    # The seed chooses the split: of four seeds, not all give the same validation sequences
    # (for 40 sequences, 4 of them validation, there are 36,100 stratified choices).
    X, y = distinct_sequences(40, 6, seed=9)
    chosen = []
    for seed in range(4):
        (_, Xw_val, _, _), call = split(target, X, y, 3, seed=seed)
        chosen.append(tuple(sorted(sequence_ids(Xw_val, as3d(X), 3, call, "validation"))))
    if len(set(chosen)) == 1:
        fail(
            called("window_dataset", X, y, window=3, seed="0, 1, 2, 3", _names=["X", "y"]),
            f"every seed chose the validation sequences {list(chosen[0])}",
            "different splits for different seeds",
            "pass seed to the split (random_state=seed): randomness comes only from seed",
        )


@exercise(MODULE, points=1)
def test_window_dataset_with_fewer_sequences_than_the_window(target):
    # 12 sequences of 20 timesteps, windows of 15: the window is checked against L, not n.
    X, y = distinct_sequences(12, 20, seed=10)
    (Xw_train, Xw_val, _, _), call = split(target, X, y, 15, val_fraction=0.25, seed=1)
    train = sequence_ids(Xw_train, as3d(X), 15, call, "train")
    val = sequence_ids(Xw_val, as3d(X), 15, call, "validation")
    if len(train) != 9 or len(val) != 3:
        fail(
            call,
            f"the sides held {len(train)} and {len(val)} sequences",
            "9 and 3, of 6 windows each",
            "window must not exceed the sequence length L = X.shape[1]",
        )


@exercise(MODULE, points=1)
@pytest.mark.parametrize(
    "n, length, y_len, window, rule",
    [
        (20, 5, 20, 0, "window must be at least 1"),
        (20, 5, 20, 6, "window must not exceed L"),
        (20, 5, 19, 2, "len(y) must equal n"),
        (20, 5, 21, 2, "len(y) must equal n"),
    ],
    ids=["window-0", "window-beyond-L", "y-too-short", "y-too-long"],
)
def test_window_dataset_rejects_bad_input(target, n, length, y_len, window, rule):
    X = np.arange(n * length, dtype=np.float64).reshape(n, length)
    y = np.tile([0, 1], y_len)[:y_len]
    expect_value_error(target, MODULE, "window_dataset", X, y, window, rule=rule)


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
