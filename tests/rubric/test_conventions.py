"""The shared conventions of the contract, applied to every contract function and argument.

- **Bad input** (``test_<function>_refuses_bad_input_by_name``, one check per function): every
  size argument at 0 and below, every length mismatch both ways (``y`` longer and shorter),
  every rank that is not allowed, NaN, sizes that do not divide. A case passes only when the
  function raised ``ValueError`` (a subclass counts) *and* its message names the argument at
  fault, as the contract asks: a ``ValueError`` that Python or NumPy raised by accident
  (``n, L, f = X.shape`` of a 1-D ``X``; ``np.repeat(y, -1)``) names nothing and scores nothing.
- **Keras inputs** (``test_<function>_returns_float32_3d_inputs``): whatever the input's rank
  (2-D or 3-D ``X``), dtype (float64, float32, int) and sizes (every lag, window, chunk), the
  arrays meant for Keras come back ``float32`` and 3-D, with the shape the contract gives.
- **Inputs left alone** (``test_function_leaves_its_input_alone``): the arrays passed in are
  unchanged after the call, and the point is given only when that call's answer is right too.
- **Seeds**: the same seed gives the same result, another seed another split.

Everything here is a property of the contract that any correct implementation has; nothing is
compared with the reference's own numbers (the student bundle has no reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pytest
import strategies
from hypothesis import given, settings
from hypothesis import strategies as st
from support import as_array, called, expect_close, expect_shape, fail, show, unpack

from lstm_lab.data import echo_split, ramp
from lstm_lab.grading.errors import GradingFailure, StudentError

exercise = pytest.mark.exercise

#: The contract's functions: module, positional parameters, keyword-only parameters, and valid
#: values for each (small: a call that is refused costs nothing, one that is not stays cheap).
_X, _Y = np.arange(24, dtype=np.float64).reshape(6, 4) / 24, np.array([0, 1, 0, 1, 0, 1])
_XT, _YT = np.arange(48, dtype=np.float64).reshape(8, 6) / 48, np.array([0, 1] * 4)
_XV, _YV = np.arange(24, dtype=np.float64).reshape(4, 6) / 24, np.array([0, 1] * 2)
_SPLIT = {"X_train": _XT, "y_train": _YT, "X_val": _XV, "y_val": _YV}
_TRAIN = ("X_train", "y_train", "X_val", "y_val")
CONTRACT = {
    "to_supervised": ("ex01_lifecycle", ("series", "lag"), (), {"series": ramp(), "lag": 2}),
    "build_regressor": (
        "ex01_lifecycle",
        ("timesteps", "units", "features"),
        (),
        {"timesteps": 3, "units": 4, "features": 2},
    ),
    "run_lifecycle": (
        "ex01_lifecycle",
        ("series",),
        ("lag", "units", "epochs"),
        {"series": ramp(), "lag": 1, "units": 4, "epochs": 1},
    ),
    "probabilities_to_classes": (
        "ex01_lifecycle",
        ("probs",),
        (),
        {"probs": np.array([[0.2, 0.8], [0.6, 0.4]])},
    ),
    "sliding_windows": ("ex02_windows", ("X", "y", "window"), (), {"X": _X, "y": _Y, "window": 3}),
    "window_dataset": (
        "ex02_windows",
        ("X", "y", "window", "val_fraction", "seed"),
        (),
        {"X": _XT, "y": _YT, "window": 3, "val_fraction": 0.25, "seed": 0},
    ),
    "stateless_ceiling": ("ex02_windows", ("seq_len", "window"), (), {"seq_len": 20, "window": 10}),
    "expand_labels": ("ex03_labels", ("y", "repeats"), (), {"y": _Y, "repeats": 3}),
    "stateful_batches": (
        "ex03_labels",
        ("X", "y", "batch_size", "chunk"),
        (),
        {"X": _X, "y": _Y, "batch_size": 2, "chunk": 2},
    ),
    "build_stateful_classifier": (
        "ex04_stateful",
        ("batch_size", "chunk", "units", "features"),
        (),
        {"batch_size": 2, "chunk": 1, "units": 4, "features": 1},
    ),
    "ResetStatesEvery": ("ex04_stateful", ("batches",), (), {"batches": 2}),
    "train_stateless": (
        "ex05_training",
        _TRAIN,
        ("window", "units", "epochs"),
        {**_SPLIT, "window": 3, "units": 4, "epochs": 1},
    ),
    "train_stateful": (
        "ex05_training",
        _TRAIN,
        ("batch_size", "chunk", "units", "epochs"),
        {**_SPLIT, "batch_size": 4, "chunk": 2, "units": 4, "epochs": 1},
    ),
    "train_per_timestep": (
        "ex05_training",
        _TRAIN,
        ("units", "epochs"),
        {**_SPLIT, "units": 4, "epochs": 1},
    ),
}
#: A call that should be refused at once may still run (a function that checks nothing): this
#: long at most, so that a missing check costs its case and little of the exercise's time.
BAD_CALL_TIMEOUT = 60
#: How the proxy words a call that returned what cannot travel to the judge (``errors``).
UNSENDABLE = "returned something that is not plain data"


def module_of(function: str) -> str:
    return CONTRACT[function][0]


# -- bad input -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bad:
    """One bad call: ``function`` with ``argument`` (the one at fault) set to what breaks
    ``rule``; ``changes`` are the arguments that differ from the valid call."""

    function: str
    argument: str
    label: str
    rule: str
    changes: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.argument}-{self.label}"

    def call(self) -> tuple[tuple, dict]:
        _, positional, keywords, values = CONTRACT[self.function]
        values = {**values, **self.changes}
        return tuple(values[p] for p in positional), {k: values[k] for k in keywords}


def _nan(X):
    X = np.array(X, dtype=np.float64)
    X.flat[1] = np.nan
    return X


def _sizes(function: str, *names: str) -> list[Bad]:
    """Every size argument at 0 and at -1: "sizes are positive"."""
    return [
        Bad(function, name, label, f"{name} must be at least 1", {name: value})
        for name in names
        for value, label in ((0, "0"), (-1, "negative"))
    ]


def _ranks(function: str, name: str, *arrays, allowed: str) -> list[Bad]:
    """``name`` of a rank it must not have (one axis fewer than allowed, and one more)."""
    return [
        Bad(function, name, f"{np.ndim(a)}-D", f"{name} must be {allowed}", {name: a})
        for a in arrays
    ]


def _lengths(function: str, name: str, valid, n: int) -> list[Bad]:
    """Labels ``name`` one longer and one shorter than the ``n`` sequences."""
    valid = np.asarray(valid)
    return [
        Bad(function, name, "longer", f"len({name}) must equal {n}", {name: np.append(valid, 0)}),
        Bad(function, name, "shorter", f"len({name}) must equal {n}", {name: valid[:-1]}),
    ]


def _other_length(function: str) -> Bad:
    """Validation sequences of another length than the training ones."""
    return Bad(
        function, "X_val", "other-L", "X_val must have the length of X_train's sequences",
        {"X_val": _XV[:, :5]},
    )  # fmt: skip


def _windows(function: str, X) -> list[Bad]:
    length = np.shape(X)[1]
    return [
        *_sizes(function, "window"),
        Bad(function, "window", "beyond-L", "window must not exceed L", {"window": length + 1}),
    ]


BAD = [
    # ex01
    *_sizes("to_supervised", "lag"),
    Bad("to_supervised", "lag", "len", "lag must be less than len(series)", {"lag": 10}),
    Bad("to_supervised", "lag", "beyond-len", "lag must be less than len(series)", {"lag": 11}),
    *_ranks("to_supervised", "series", np.float64(0.5), np.ones((5, 2)), allowed="1-D"),
    Bad("to_supervised", "series", "nan", "series must not hold NaN", {"series": _nan(ramp())}),
    *_sizes("build_regressor", "timesteps", "units", "features"),
    *_sizes("run_lifecycle", "lag", "units", "epochs"),
    *_ranks("run_lifecycle", "series", np.ones((5, 2)), allowed="1-D"),
    Bad("run_lifecycle", "series", "nan", "series must not hold NaN", {"series": _nan(ramp())}),
    Bad(
        "probabilities_to_classes", "probs", "0-D", "probs must be 1-D or 2-D",
        {"probs": np.float64(0.3)},
    ),
    Bad(
        "probabilities_to_classes", "probs", "3-D", "probs must be 1-D or 2-D",
        {"probs": np.full((2, 2, 1), 0.5)},
    ),
    Bad(
        "probabilities_to_classes", "probs", "nan", "probs must not hold NaN",
        {"probs": np.array([0.2, np.nan])},
    ),
    Bad(
        "probabilities_to_classes", "probs", "below-0", "probs must lie in [0, 1]",
        {"probs": np.array([0.2, -0.1])},
    ),
    Bad(
        "probabilities_to_classes", "probs", "above-1", "probs must lie in [0, 1]",
        {"probs": np.array([[0.2, 1.1], [0.5, 0.5]])},
    ),
    # ex02
    *_windows("sliding_windows", _X),
    *_lengths("sliding_windows", "y", _Y, 6),
    *_ranks("sliding_windows", "X", _X.reshape(-1), _X[:, :, None, None], allowed="2-D or 3-D"),
    Bad("sliding_windows", "X", "nan", "X must not hold NaN", {"X": _nan(_X)}),
    *_windows("window_dataset", _XT),
    *_lengths("window_dataset", "y", _YT, 8),
    *_ranks("window_dataset", "X", _XT.reshape(-1), _XT[:, :, None, None], allowed="2-D or 3-D"),
    Bad("window_dataset", "X", "nan", "X must not hold NaN", {"X": _nan(_XT)}),
    Bad(
        "window_dataset", "val_fraction", "0", "val_fraction must lie strictly between 0 and 1",
        {"val_fraction": 0.0},
    ),
    Bad(
        "window_dataset", "val_fraction", "1", "val_fraction must lie strictly between 0 and 1",
        {"val_fraction": 1.0},
    ),
    *_sizes("stateless_ceiling", "seq_len", "window"),
    Bad(
        "stateless_ceiling", "window", "beyond-L", "window must not exceed seq_len",
        {"window": 21},
    ),
    # ex03
    *_sizes("expand_labels", "repeats"),
    *_ranks("expand_labels", "y", np.int64(1), _Y.reshape(3, 2), allowed="1-D"),
    *_sizes("stateful_batches", "batch_size", "chunk"),
    Bad(
        "stateful_batches", "batch_size", "not-dividing", "batch_size must divide n",
        {"batch_size": 4},
    ),
    Bad("stateful_batches", "chunk", "not-dividing", "chunk must divide L", {"chunk": 3}),
    *_lengths("stateful_batches", "y", _Y, 6),
    *_ranks("stateful_batches", "X", _X.reshape(-1), _X[:, :, None, None], allowed="2-D or 3-D"),
    Bad("stateful_batches", "X", "nan", "X must not hold NaN", {"X": _nan(_X)}),
    # ex04
    *_sizes("build_stateful_classifier", "batch_size", "chunk", "units", "features"),
    *_sizes("ResetStatesEvery", "batches"),
    # ex05
    *_windows("train_stateless", _XT),
    *_sizes("train_stateless", "units", "epochs"),
    *_lengths("train_stateless", "y_train", _YT, 8),
    *_lengths("train_stateless", "y_val", _YV, 4),
    *_ranks("train_stateless", "X_val", _XV.reshape(-1), allowed="2-D or 3-D"),
    _other_length("train_stateless"),
    *_sizes("train_stateful", "batch_size", "chunk", "units", "epochs"),
    Bad(
        "train_stateful", "batch_size", "not-dividing", "batch_size must divide len(X_train)",
        {"batch_size": 3},
    ),
    Bad("train_stateful", "chunk", "not-dividing", "chunk must divide L", {"chunk": 4}),
    *_lengths("train_stateful", "y_train", _YT, 8),
    _other_length("train_stateful"),
    Bad("train_stateful", "X_train", "nan", "X_train must not hold NaN", {"X_train": _nan(_XT)}),
    *_sizes("train_per_timestep", "units", "epochs"),
    *_lengths("train_per_timestep", "y_val", _YV, 4),
    _other_length("train_per_timestep"),
    Bad(
        "train_per_timestep", "X_train", "1-D", "X_train must be 2-D or 3-D",
        {"X_train": _XT.reshape(-1)},
    ),
]  # fmt: skip


def names_argument(message: str, argument: str) -> bool:
    """Whether ``message`` names ``argument`` as a word of its own (``window``, ``'window'``,
    ``window_size`` and ``Window`` do; ``windows`` and ``sliding_window_view`` do not)."""
    pattern = rf"(?<![A-Za-z0-9]){re.escape(argument)}(?![A-Za-z0-9])"
    flags = 0 if len(argument) == 1 else re.IGNORECASE  # "X" and "y" exactly as written
    if re.search(pattern, message, flags) is None:
        return False
    # "sliding_window_view" names no argument: a word joined by underscores to others is
    # another name, unless it is the argument's own spelling with a suffix (window_size).
    for match in re.finditer(pattern, message, flags):
        before = message[: match.start()]
        if not before.endswith("_"):
            return True
    return False


def expect_rejected(target, bad: Bad) -> None:
    """The call of ``bad`` must raise ``ValueError`` with a message that names its argument."""
    module = module_of(bad.function)
    args, kwargs = bad.call()
    _, positional, _, _ = CONTRACT[bad.function]
    call = called(bad.function, *args, **kwargs, _names=list(positional))
    expected = f"a ValueError whose message names {bad.argument} ({bad.rule})"
    shown = f"{bad.argument}!r"
    if isinstance(bad.changes.get(bad.argument), np.ndarray):
        shown = f"np.shape({bad.argument})"
    example = f'raise ValueError(f"{bad.rule}, got {{{shown}}}")'
    try:
        result = target.call(module, bad.function, *args, timeout=BAD_CALL_TIMEOUT, **kwargs)
    except StudentError as error:
        said = f"it raised {error.type_name}: {error.message}"
        if error.message.startswith(UNSENDABLE):  # it returned a model, a TrainResult...
            fail(
                call,
                "it returned (an object the judge cannot receive, such as a model)",
                expected,
                f"nothing refused {bad.argument}: check it first and {example}",
            )
        if error.hint:  # a Keras 2 habit crashed before any check: its migration hint
            fail(call, said, expected, error.hint)
        if not error.is_a("ValueError"):
            fail(
                call,
                said,
                expected,
                f"that {error.type_name} came from using {bad.argument} unchecked: check it "
                f"first, before any work, and {example}",
            )
        if not names_argument(error.message, bad.argument):
            fail(
                call,
                said,
                expected,
                f"this ValueError does not say it is {bad.argument}'s fault: it reads like one "
                "that Python or NumPy raised by accident, on the way. Check the argument "
                f"yourself and say so: {example}",
            )
        return
    except GradingFailure:
        raise
    fail(
        call,
        f"it returned {show(result)}",
        expected,
        f"nothing refused {bad.argument}: check it first and {example}",
    )


def _bad_input_test(function: str):
    """The bad-input check of one contract function: its cases share its point."""
    cases = [bad for bad in BAD if bad.function == function]

    @exercise(module_of(function), points=1)
    @pytest.mark.parametrize("bad", cases, ids=[bad.id for bad in cases])
    def test(target, bad):
        expect_rejected(target, bad)

    test.__name__ = test.__qualname__ = f"test_{function}_refuses_bad_input_by_name"
    test.__doc__ = f"{function}: bad input raises ValueError, and the message names the argument."
    return test


for _function in CONTRACT:
    _test = _bad_input_test(_function)
    globals()[_test.__name__] = _test
del _function, _test


# -- Keras inputs: float32 and 3-D -----------------------------------------------------------------
DTYPES = st.sampled_from([np.float64, np.float32, np.int64])


def expect_keras_input(array, shape: tuple, call: str, what: str, given_dtype, rows: str) -> None:
    """``array`` is float32 of ``shape`` (3-D): what Keras is given; ``rows`` says how many rows
    there must be, for the hint when there are not."""
    array = as_array(array, call, what)
    if array.ndim != 3:
        fail(
            call,
            f"{what} had shape {tuple(array.shape)} ({array.ndim}-D)",
            f"shape {shape}: 3-D (samples, timesteps, features)",
            "add the features axis (X[..., np.newaxis]) when the input is 2-D",
        )
    if array.shape[0] != shape[0]:
        hint = f"{rows}: is a range one short, or one too long?"
    elif array.shape[1:] != shape[1:]:
        hint = "each row is (timesteps, features): the features axis comes last"
    else:
        hint = None
    expect_shape(array, shape, call, what, hint)
    if array.dtype != np.float32:
        hint = "convert with np.asarray(X, dtype=np.float32)"
        if np.dtype(given_dtype) != np.float64:
            hint = f"the input was {np.dtype(given_dtype)}: convert whatever comes in, {hint}"
        fail(call, f"{what} had dtype {array.dtype}", "float32", hint)


@exercise("ex01_lifecycle", points=1)
@settings(max_examples=20)
@given(data=strategies.series(min_len=2, max_len=16), lag=st.integers(1, 15), dtype=DTYPES)
def test_to_supervised_returns_float32_3d_inputs(target, data, lag, dtype):
    # X is float32 (len - lag, lag, 1) for every lag and every dtype of series.
    series = np.round(data).astype(dtype)
    lag = 1 + (lag - 1) % (len(series) - 1)
    call = called("to_supervised", series, lag=lag, _names=["series"])
    X, y = unpack(target.call("ex01_lifecycle", "to_supervised", series, lag), 2, call, "(X, y)")
    expect_keras_input(X, (len(series) - lag, lag, 1), call, "X", dtype, "len(series) - lag rows")
    expect_shape(as_array(y, call, "y"), (len(series) - lag,), call, "y", "one target per row")


@exercise("ex02_windows", points=1)
@settings(max_examples=20)
@given(data=strategies.typed_sequences(), fraction=st.floats(0, 1), dtype=DTYPES)
def test_sliding_windows_returns_float32_3d_inputs(target, data, fraction, dtype):
    # Xw is float32 (n * (L - w + 1), w, f) for 2-D and 3-D X of any dtype and every window.
    X, y = data
    X = X.astype(dtype)
    n, length = X.shape[:2]
    features = X.shape[2] if X.ndim == 3 else 1
    window = 1 + int(fraction * (length - 1))
    call = called("sliding_windows", X, y, window=window, _names=["X", "y"])
    Xw, yw = unpack(
        target.call("ex02_windows", "sliding_windows", X, y, window), 2, call, "(Xw, yw)"
    )
    starts = length - window + 1
    expect_keras_input(
        Xw, (n * starts, window, features), call, "Xw", dtype, "n * (L - window + 1) windows"
    )
    expect_shape(as_array(yw, call, "yw"), (n * starts,), call, "yw", "one label per window")


@exercise("ex02_windows", points=1)
@settings(max_examples=15)
@given(
    X3=strategies.typed_sequences(min_n=8, max_n=8, min_length=2),
    window=st.integers(1, 12),
    dtype=DTYPES,
)
def test_window_dataset_returns_float32_3d_inputs(target, X3, window, dtype):
    # Both sides' windows are float32 (windows, w, f), whatever X's rank and dtype.
    X, _ = X3
    X = X.astype(dtype)
    y = np.array([0, 1] * 4)
    length = X.shape[1]
    features = X.shape[2] if X.ndim == 3 else 1
    window = 1 + (window - 1) % length
    call = called("window_dataset", X, y, window=window, val_fraction=0.25, _names=["X", "y"])
    result = target.call("ex02_windows", "window_dataset", X, y, window, 0.25, 0)
    parts = unpack(result, 4, call, "(Xw_train, Xw_val, yw_train, yw_val)")
    starts = length - window + 1
    expect_keras_input(
        parts[0],
        (6 * starts, window, features),
        call,
        "Xw_train",
        dtype,
        "L - window + 1 per sequence",
    )
    expect_keras_input(
        parts[1],
        (2 * starts, window, features),
        call,
        "Xw_val",
        dtype,
        "L - window + 1 per sequence",
    )


@exercise("ex03_labels", points=1)
@settings(max_examples=20)
@given(data=strategies.divisible_sequences(), dtype=DTYPES)
def test_stateful_batches_returns_float32_3d_inputs(target, data, dtype):
    # Xs is float32 (n * L // chunk, chunk, f) for 2-D and 3-D X of any dtype, any sizes.
    X, y, batch_size, chunk = data
    X = np.round(X * X.size).astype(dtype)
    n, length = X.shape[:2]
    features = X.shape[2] if X.ndim == 3 else 1
    call = called("stateful_batches", X, y, batch_size=batch_size, chunk=chunk, _names=["X", "y"])
    Xs, ys = unpack(
        target.call("ex03_labels", "stateful_batches", X, y, batch_size, chunk), 2, call, "(Xs, ys)"
    )
    expect_keras_input(
        Xs, (n * length // chunk, chunk, features), call, "Xs", dtype, "n * L // chunk rows"
    )
    expect_shape(as_array(ys, call, "ys"), (n * length // chunk,), call, "ys", "a label per row")


# -- seeds -----------------------------------------------------------------------------------------
@exercise("ex02_windows", points=1)
def test_window_dataset_split_follows_the_seed(target):
    # The same seed gives the same split; other seeds give other splits (with 20 sequences, 5
    # seeds that all draw the same validation side would mean the seed is ignored).
    X = np.arange(20 * 4, dtype=np.float64).reshape(20, 4) / 80
    y = np.array([0, 1] * 10)
    splits = []
    for seed in (0, 1, 2, 3, 4, 0):
        result = target.call("ex02_windows", "window_dataset", X, y, 4, 0.25, seed)
        parts = unpack(result, 4, called("window_dataset", X, y, 4, 0.25, seed), "4 arrays")
        splits.append(np.asarray(parts[1]).tobytes())
    call = called("window_dataset", X, y, window=4, val_fraction=0.25, _names=["X", "y"])
    if splits[0] != splits[-1]:
        fail(
            call + " twice with seed=0",
            "the validation sides differed",
            "the same split for the same seed",
            "pass seed to the split (random_state=seed), and draw from nothing else",
        )
    if len(set(splits[:5])) == 1:
        fail(
            call + " with seeds 0 to 4",
            "every seed gave the same validation side",
            "different splits for different seeds",
            "the seed argument is not used: pass it as the split's random_state",
        )


@pytest.mark.slow
@pytest.mark.needs_stateful("backprop")
@exercise("ex05_training", points=1)
def test_train_stateful_same_seed_same_history(target):
    # Randomness comes only from the seed: two runs with seed 3 give the same history.
    X_train, X_val, y_train, y_val = echo_split(3)
    runs = [
        target.scenario(
            "train_probe",
            "train_stateful",
            X_train,
            y_train,
            X_val,
            y_val,
            batch_size=10,
            chunk=10,
            epochs=3,
            seed=3,
            timeout=600,
        )["history"]
        for _ in range(2)
    ]
    if runs[0] != runs[1]:
        fail(
            called("train_stateful", "<echo data>", batch_size=10, chunk=10, epochs=3, seed=3)
            + " twice",
            f"the histories differed: {runs[0].get('loss')} vs {runs[1].get('loss')}",
            "the same numbers for the same seed",
            "seed everything from the seed argument: keras.utils.set_random_seed(seed) "
            "(lstm_lab.models.set_seed) before building the model",
        )


# -- inputs left alone, with a right answer --------------------------------------------------------
#: Every value distinct, so that each window or chunk can be traced to where it came from.
X, Y = np.random.default_rng(11).permutation(48).reshape(6, 8) / 48.0, np.array([0, 1] * 3)
#: The same values as float32 (``np.asarray(X, dtype=np.float32)`` then returns the caller's own
#: array, so an in-place change shows) and as 3-D with two features.
X32, X3D = X.astype(np.float32), X.reshape(6, 4, 2).astype(np.float32)
#: Each function with inputs of several dtypes and ranks: one check per function, every input
#: must be left alone and answered right.
CALLS = [
    ("ex01_lifecycle", "to_supervised", [(ramp(), 2), (ramp().astype(np.float32), 3)]),
    (
        "ex01_lifecycle",
        "probabilities_to_classes",
        [(np.array([[0.2, 0.8], [0.6, 0.4]]),), (np.array([0.7, 0.2, 0.5], dtype=np.float32),)],
    ),
    ("ex02_windows", "sliding_windows", [(X, Y, 3), (X32, Y, 2), (X3D, Y.astype(float), 2)]),
    ("ex02_windows", "window_dataset", [(X, Y, 3, 0.5, 0), (X3D, Y, 2, 0.5, 1)]),
    ("ex03_labels", "expand_labels", [(Y, 3), (Y.astype(np.float32), 2)]),
    ("ex03_labels", "stateful_batches", [(X, Y, 2, 4), (X32, Y, 3, 2), (X3D, Y, 6, 1)]),
]


def _windows_of(X, window):
    X3 = X[:, :, None] if X.ndim == 2 else X
    starts = X3.shape[1] - window + 1
    return np.stack([X3[i, s : s + window] for i in range(len(X3)) for s in range(starts)])


def _right_split(result, call, X, y, window, fraction, seed):
    """window_dataset's answer has the contract's properties: every sequence's windows, in a
    row, on one side only; the validation side a ``fraction`` of the sequences; labels kept."""
    names = ("Xw_train", "Xw_val", "yw_train", "yw_val")
    parts = [as_array(p, call, n) for p, n in zip(unpack(result, 4, call, ", ".join(names)), names)]
    starts = X.shape[1] - window + 1
    every = _windows_of(X, window).reshape(len(X), starts, window, -1)
    seen = []
    for side, windows, labels in zip(("train", "validation"), parts[:2], parts[2:]):
        if len(windows) % starts or len(labels) != len(windows):
            fail(
                call,
                f"the {side} side had {len(windows)} windows and {len(labels)} labels",
                f"whole sequences: a multiple of {starts} windows, one label each",
            )
        for k in range(0, len(windows), starts):
            block = np.asarray(windows[k : k + starts], dtype=np.float64)
            match = [i for i in range(len(X)) if np.allclose(block, every[i], atol=1e-6)]
            if not match:
                fail(
                    call,
                    f"{side} windows {k}..{k + starts - 1} were not one sequence's windows",
                    "each sequence's windows together, in order of start",
                    "split the sequences first, then window each side",
                )
            if not np.all(np.asarray(labels[k : k + starts]) == y[match[0]]):
                fail(
                    call,
                    f"the {side} labels of sequence {match[0]} were wrong",
                    f"{y[match[0]]}, its label",
                    "windows keep their sequence's label",
                )
            seen.append((side, match[0]))
    ids = sorted(i for _, i in seen)
    val = sum(side == "validation" for side, _ in seen)
    want = int(np.ceil(fraction * len(X)))
    if ids != list(range(len(X))) or val != want:
        fail(
            call,
            f"the sides held sequences {ids} ({val} on the validation side)",
            f"each of the {len(X)} sequences once, {want} on the validation side",
        )


def _right_answer(function, result, call, args, hint):
    """Fail unless ``result`` is the contract's answer to ``function(*args)``."""
    if function == "window_dataset":
        return _right_split(result, call, *args)
    if function == "to_supervised":
        series, lag = args
        expected = (
            np.stack([series[i : i + lag] for i in range(len(series) - lag)])[:, :, None],
            series[lag:],
        )
    elif function == "probabilities_to_classes":
        probs = args[0]
        one = probs.ndim == 1 or probs.shape[1] == 1
        expected = ((probs.reshape(-1) > 0.5) if one else np.argmax(probs, axis=-1),)
        result = (result,)
    elif function == "sliding_windows":
        X, y, window = args
        expected = (_windows_of(X, window), np.repeat(y, X.shape[1] - window + 1))
    elif function == "expand_labels":
        expected = (np.repeat(args[0], args[1]),)
        result = (result,)
    else:  # stateful_batches
        X, y, batch, chunk = args
        X = X.reshape(*X.shape[:2], -1)
        n, length, features = X.shape
        expected = (
            X.reshape(n // batch, batch, length // chunk, chunk, features)
            .transpose(0, 2, 1, 3, 4)
            .reshape(-1, chunk, features),
            np.repeat(y.reshape(n // batch, 1, batch), length // chunk, axis=1).reshape(-1),
        )
    names = {
        "to_supervised": ("X", "y"),
        "sliding_windows": ("Xw", "yw"),
        "stateful_batches": ("Xs", "ys"),
    }.get(function, ("the result",))
    got = unpack(result, len(expected), call, ", ".join(names))
    for what, value, want in zip(names, got, expected):
        expect_close(as_array(value, call, what), want, call, what, hint, atol=1e-6)


@pytest.mark.parametrize(
    "module, function, inputs",
    [pytest.param(*c, marks=exercise(c[0], points=1), id=c[1]) for c in CALLS],
)
def test_function_leaves_its_input_alone(target, module, function, inputs):
    # "No function modifies its inputs", worth its point only with a right answer for that input.
    for args in inputs:
        call = called(function, *args, _names=list(CONTRACT[function][1]))
        probe = target.scenario(
            "call_checking_inputs", module, function, *args, where=f"{module}.{function}"
        )
        changed = ", ".join(CONTRACT[function][1][i] for i in probe["modified"])
        copy = (
            "work on a copy: np.array(X, dtype=...) copies, X.astype(...) too, but "
            "np.asarray(X, dtype=...) returns X itself when it already has that dtype; "
            "X[...] = ..., X /= ..., X.shape = ... and x.sort() change the caller's array"
        )
        if changed:
            hint = f"it also changed {changed} in place; {copy}"
        else:
            hint = (
                "it left its inputs alone, but this point needs the right answer as well: the "
                f"checks of {function} itself say more"
            )
        _right_answer(function, target.call(module, function, *args), call, args, hint)
        if changed:
            dtypes = ", ".join(
                f"{name} {args[i].dtype}"
                for i, name in enumerate(CONTRACT[function][1][: len(args)])
                if isinstance(args[i], np.ndarray)
            )
            fail(
                call + f" ({dtypes})",
                f"it gave the right answer, but changed {changed} in place",
                "inputs left as they were",
                copy,
            )
