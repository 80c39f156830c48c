"""What the tests share: how a call is described to a student, and how expectations are checked.

Messages follow one pattern: what was called, what came back, what was expected, and a hint.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_lab import oracle
from lstm_lab.grading.errors import GradingFailure, StudentError

#: Tolerance between a Keras model and the NumPy oracle (float32 against float64).
ORACLE_ATOL = oracle.ATOL
#: Tolerance for values a correct implementation computes exactly but possibly in float32.
VALUE_ATOL = 1e-6


def show(value) -> str:
    """A short description of a value for a message."""
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return f"array({np.array2string(value.reshape(-1), precision=4)}, shape={value.shape})"
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(show(v) for v in value[:4])
        more = ", ..." if len(value) > 4 else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def called(function: str, *args, **kwargs) -> str:
    """``Called f(X.shape=(3, 20), window=10)``: how the test called the student's function."""
    names = kwargs.pop("_names", None) or []
    parts = []
    for i, arg in enumerate(args):
        name = names[i] if i < len(names) else None
        if isinstance(arg, np.ndarray):
            parts.append(f"{name or 'array'}.shape={arg.shape}")
        else:
            parts.append(f"{name}={show(arg)}" if name else show(arg))
    for key, arg in kwargs.items():
        if isinstance(arg, np.ndarray):
            parts.append(f"{key}.shape={arg.shape}")
        else:
            parts.append(f"{key}={show(arg)}")
    return f"Called {function}({', '.join(parts)})"


def fail(call: str, got: str, expected: str, hint: str | None = None):
    """Fail the test with a message for the student."""
    message = f"{call}. {got}; expected {expected}."
    if hint:
        message += f" Hint: {hint}"
    pytest.fail(message, pytrace=False)


def as_array(value, call: str, what: str) -> np.ndarray:
    """``value`` as an array, or a failure saying that ``what`` must be an array."""
    if isinstance(value, np.ndarray):
        return value
    fail(call, f"{what} was {show(value)}", "a NumPy array", "return np.ndarray objects")


def unpack(value, count: int, call: str, names: str) -> tuple:
    """``value`` as a tuple of ``count`` items, or a failure naming what was expected."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        fail(call, f"returned {show(value)}", f"a tuple of {count}: {names}")
    return tuple(value)


def expect_shape(array, shape: tuple, call: str, what: str, hint: str | None = None) -> None:
    if tuple(array.shape) != tuple(shape):
        fail(call, f"{what} had shape {tuple(array.shape)}", f"shape {tuple(shape)}", hint)


def expect_dtype_kind(array, kinds: str, call: str, what: str, expected: str) -> None:
    if array.dtype.kind not in kinds:
        fail(call, f"{what} had dtype {array.dtype}", expected)


def expect_close(
    got, expected, call: str, what: str, hint: str | None = None, atol: float = VALUE_ATOL
) -> None:
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        fail(call, f"{what} had shape {got.shape}", f"shape {expected.shape}", hint)
    bad = ~np.isclose(got, expected, atol=atol, rtol=0)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        fail(
            call,
            f"{what}{list(index)} was {got[index]:.6g} "
            f"({int(bad.sum())} of {bad.size} values differ)",
            f"{expected[index]:.6g}",
            hint,
        )


def names_argument(message: str, argument: str) -> bool:
    """Whether ``message`` names ``argument`` as a word of its own (``window``, ``'window'``,
    ``window_size`` and ``Window`` do; ``windows`` and ``sliding_window_view`` do not)."""
    pattern = rf"(?<![A-Za-z0-9]){re.escape(argument)}(?![A-Za-z0-9])"
    flags = 0 if len(argument) == 1 else re.IGNORECASE  # "X" and "y" exactly as written
    return any(
        not message[: m.start()].endswith("_") for m in re.finditer(pattern, message, flags)
    )


def expect_value_error(
    target, module: str, function: str, *args, rule: str, hint: str = "", **kwargs
) -> None:
    """The call must raise ``ValueError`` (or a subclass) because of ``rule``, whose first word
    is the argument at fault (``"window must ..."``, ``"len(y) must ..."``): the message must
    name it, as the contract asks, so that an accidental ``ValueError`` (``n, L, f = X.shape``
    of a 1-D ``X``) does not count."""
    call = called(f"{function}", *args, **kwargs)
    argument = re.match(r"(?:len\()?([A-Za-z_]\w*)", rule)[1]
    try:
        result = target.call(module, function, *args, **kwargs)
    except StudentError as error:
        if error.is_a("ValueError") and error.hint is None:  # not a Keras 2 habit's crash
            if names_argument(error.message, argument):
                return
            fail(
                call,
                f"it raised ValueError: {error.message}",
                f"a ValueError whose message names {argument}, because {rule}",
                f"that ValueError does not say it is {argument}'s fault: it reads like one "
                f"Python or NumPy raised by accident. Check {argument} first and say so",
            )
        fail(
            call,
            f"it raised {error.type_name}: {error.message}",
            f"a ValueError because {rule}",
            error.hint
            or hint
            or "check the argument first and raise ValueError with a message naming it",
        )
    except GradingFailure:
        raise
    fail(
        call,
        f"it returned {show(result)}",
        f"a ValueError because {rule}",
        hint or "check the argument first and raise ValueError with a message naming it",
    )


def flat_layers(specs: list) -> list:
    """The ``[name, config]`` layers of a probe spec, nested ``Sequential`` models unrolled."""
    out = []
    for name, config in specs:
        out += flat_layers(config["layers"]) if name == "Sequential" else [[name, config]]
    return out


def judge_weights(spec: dict, seed: int) -> list[list[np.ndarray]]:
    """Weights the judge chooses for the model of ``spec``, per layer (LSTM: kernel, recurrent
    kernel, bias; Dense: kernel, bias), drawn from ``seed``: the probe sets them, so the
    expected outputs come from the judge's numbers, never from weights a worker reports."""
    rng = np.random.default_rng(seed)
    features, weights = spec["batch_shape"][-1], []
    for name, config in flat_layers(spec["layers"]):
        units = config["units"]
        if name == "LSTM":
            shapes = [(features, 4 * units), (units, 4 * units), (4 * units,)]
        else:
            shapes = [(features, units), (units,)]
        weights.append([rng.uniform(-0.8, 0.8, s).astype("float32") for s in shapes])
        features = units
    return weights


def with_weights(spec: dict, weights) -> dict:
    """``spec`` whose model the probe builds with ``weights`` (flattened, Keras's order)."""
    return {**spec, "weights": [w for layer in weights for w in layer]}


def judge_forward(spec: dict, weights, x, initial=None) -> np.ndarray:
    """The spec's model on ``x``, computed by the judge (``lstm_lab.oracle``) from a zero state
    (or ``initial``, one ``(h, c)`` per LSTM)."""
    out, index = np.asarray(x, dtype=np.float64), 0
    for (name, config), layer in zip(flat_layers(spec["layers"]), weights):
        if name == "LSTM":
            state = None if initial is None else initial[index]
            sequences = bool(config.get("return_sequences"))
            out = oracle.lstm_forward(out, layer, state, return_sequences=sequences).outputs
            index += 1
        else:
            out = oracle.dense_forward(out, layer, config.get("activation"))
    return out


def expect_weights_kept(reported, sent, call: str) -> None:
    """The model a probe ran had the weights the judge set (a degenerate report fails)."""
    flat = [np.asarray(w, dtype=np.float64) for layer in reported for w in layer]
    want = [np.asarray(w, dtype=np.float64) for layer in sent for w in layer]
    same = len(flat) == len(want) and all(
        a.shape == b.shape and np.allclose(a, b, atol=1e-6) for a, b in zip(flat, want)
    )
    if not same:
        fail(
            call,
            "the model ran with other weights than the ones the judge set",
            "the judge's weights, unchanged",
            "a function under test must not change a model's weights",
        )


def model_layers(model: dict) -> list[dict]:
    """The layers of a probe's model description, without the ``InputLayer`` that a functional
    model (``keras.Model(inputs, outputs)``) lists and a ``Sequential`` does not."""
    return [layer for layer in model["layers"] if layer["class"] != "InputLayer"]


def layer_weights(model: dict, cls: str, index: int = 0) -> list:
    """The weights of the ``index``-th layer of class ``cls`` in a probe's model description."""
    layers = zip(model["layers"], model["layer_weights"])
    found = [weights for layer, weights in layers if layer["class"] == cls]
    if len(found) <= index:
        pytest.fail(
            f"the model has no {cls} layer: its layers are "
            f"{[layer['class'] for layer in model['layers']]}",
            pytrace=False,
        )
    return found[index]


# -- every recurrent layer Keras has: the judge's weights and forward pass (issue 16) ------------
#: The recurrent layers a probe spec may name, and how many gate blocks their kernels hold.
RNN_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def spec_weights(spec: dict, seed: int) -> list[list[np.ndarray]]:
    """``judge_weights`` for specs with any of ``RNN_GATES`` (GRU: kernel, recurrent kernel and
    the ``(2, 3 * units)`` bias of ``reset_after=True``, Keras 3's default)."""
    rng = np.random.default_rng(seed)
    features, weights = spec["batch_shape"][-1], []
    for name, config in flat_layers(spec["layers"]):
        units = config["units"]
        gates = RNN_GATES.get(name)
        if gates is None:
            shapes = [(features, units), (units,)]
        else:
            bias = (2, 3 * units) if name == "GRU" else (gates * units,)
            shapes = [(features, gates * units), (units, gates * units), bias]
        weights.append([rng.uniform(-0.8, 0.8, s).astype("float32") for s in shapes])
        features = units
    return weights


def rnn_forward(name: str, x, layer, return_sequences: bool = False) -> np.ndarray:
    """A recurrent layer of Keras (``RNN_GATES``) on ``x`` ``(n, t, f)`` from a zero state, in
    float64: LSTM by ``lstm_lab.oracle``, GRU (``reset_after=True``) and SimpleRNN here."""
    if name == "LSTM":
        return oracle.lstm_forward(x, layer, return_sequences=return_sequences).outputs
    kernel, recurrent, bias = (np.asarray(w, dtype=np.float64) for w in layer)
    x = np.asarray(x, dtype=np.float64)
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        if name == "SimpleRNN":
            h = np.tanh(x[:, t] @ kernel + bias + h @ recurrent)
        else:
            inner = x[:, t] @ kernel + bias[0]
            hidden = h @ recurrent + bias[1]
            z = oracle.sigmoid(inner[:, :units] + hidden[:, :units])
            r = oracle.sigmoid(inner[:, units : 2 * units] + hidden[:, units : 2 * units])
            candidate = np.tanh(inner[:, 2 * units :] + r * hidden[:, 2 * units :])
            h = z * h + (1 - z) * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1) if return_sequences else h


def spec_forward(spec: dict, weights, x) -> np.ndarray:
    """``judge_forward`` for specs with any of ``RNN_GATES``, from a zero state."""
    out = np.asarray(x, dtype=np.float64)
    for (name, config), layer in zip(flat_layers(spec["layers"]), weights):
        if name in RNN_GATES:
            out = rnn_forward(name, out, layer, bool(config.get("return_sequences")))
        else:
            out = oracle.dense_forward(out, layer, config.get("activation"))
    return out


def stateful_count(spec: dict) -> int:
    """How many layers of ``spec`` (nested models unrolled) are stateful."""
    return sum(bool(config.get("stateful")) for _, config in flat_layers(spec["layers"]))


# -- window_dataset's sides, traced back to their sequences (issue 16) ---------------------------
def sequence_ids(Xw, X3, window, call, side) -> list[int]:
    """Which sequence each run of ``L - window + 1`` windows of one side came from (every value
    of ``X3``, shape ``(n, L, f)``, is distinct), failing if the side is not whole sequences,
    each windowed in order of start."""
    starts = X3.shape[1] - window + 1
    Xw = np.asarray(Xw)
    if Xw.ndim != 3 or Xw.shape[1:] != (window, X3.shape[2]):
        fail(
            call,
            f"the {side} windows had shape {Xw.shape}",
            f"(windows, {window}, {X3.shape[2]})",
            "window each side with sliding_windows after splitting",
        )
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


def expect_stratified(y, val_ids, call) -> None:
    """The validation side holds each class in proportion: ``n_val * n_c / n``, rounded down or
    up (what a stratified split can do; ``train_test_split(stratify=y)`` does it)."""
    y = np.asarray(y)
    for label in np.unique(y):
        share = len(val_ids) * np.sum(y == label) / len(y)
        got = int(np.sum(y[list(val_ids)] == label))
        if not np.floor(share - 1e-9) <= got <= np.ceil(share + 1e-9):
            fail(
                call,
                f"the validation side held {got} sequences of label {label} "
                f"(of {len(val_ids)} sequences)",
                f"{share:.2f} rounded down or up: the labels in the proportions of y",
                "stratify the split on y: train_test_split(..., stratify=y)",
            )
