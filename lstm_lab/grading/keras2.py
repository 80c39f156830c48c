"""Keras 2 habits that crash on Keras 3, and the Keras 3 way, as hints for students.

Code written from Keras 2 tutorials (``batch_input_shape=``, ``SGD(lr=...)``,
``model.reset_states()``, ``predict_classes``) crashes before any check of the rubric runs, so
the migration hints the checks hold never show. The judge sees the crash only as data (the
worker's description: the exception's type name, the names of its class's MRO, its message), so
each signature below is data too: the exception types it applies to, and regular expressions on
the message, matched by search (Keras versions word their messages differently; these were read
from Keras 3.15 and keep to the words that carry the meaning).

    hint_for("ValueError", "Argument(s) not recognized: {'lr': 0.02}")
    # 'Keras 3 optimizers take `learning_rate=`, not `lr=`: write ...(learning_rate=0.02) ...'
    with_hint(text, type_name, message, mro)   # text + "\\nHint (Keras 2 → 3): ..." once

A hint must follow from what the check saw: a signature names the Keras classes and modules
whose messages it reads (``'Sequential' object has no attribute 'reset_states'``, not any object
without ``reset_states``), and what it captures (the layer, the value given) goes into the hint.
Only real crashes are listed: Keras 3 still accepts ``input_dim=`` and ``implementation=`` on an
LSTM, ``decay=`` on an optimizer (with a warning), ``layer.reset_states()`` on a recurrent layer,
and ``keras.utils.to_categorical``.

This module imports neither Keras nor TensorFlow: the judge never does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What starts the hint in a student's message (``with_hint`` adds it once).
LABEL = "Hint (Keras 2 → 3):"
#: How much of a message is read: the worker sends at most 2000 characters, and the words a
#: signature looks for come first; the bound keeps a hostile message from costing time.
SCAN = 2000

#: How Keras refuses a keyword argument: layers ("Unrecognized keyword arguments passed to LSTM:
#: {...}"), optimizers ("Argument(s) not recognized: {...}"), Python ("fit() got an unexpected
#: keyword argument 'nb_epoch'"), older Keras ("Keyword argument not understood").
_REFUSED = r"(?i:unrecognized|not recognized|unexpected|not understood|invalid)\b"
#: The class of the object a model attribute was looked up on: Keras's models, or a subclass of
#: ``keras.Model`` named like one. ``'NoneType' object has no attribute 'reset_states'`` is not
#: a Keras 2 habit but a function that returned no model, and gets no hint.
_MODEL = r"'(?P<cls>Sequential|Functional|\w*Model)' object has no attribute"
#: Keras 3's optimizers (and a subclass named like one), for ``optimizer.lr``.
_OPTIMIZER = (
    r"'(?P<cls>SGD|Adam|AdamW|Adamax|Nadam|RMSprop|Adagrad|Adadelta|Adafactor|Ftrl|Lion|Lamb"
    r"|Muon|\w*Optimizer)' object has no attribute"
)
#: ``keras.backend`` whichever way it was reached (``keras._tf_keras.keras.backend`` through
#: ``tf.keras`` or ``tf.compat.v1.keras``).
_BACKEND = r"'[\w.]*keras[\w.]*\.backend'"
_IMPORTS = ("ImportError", "ModuleNotFoundError")
#: How far after Keras's refusal a keyword may come (Keras lists only the refused ones, so it
#: comes early). Bounded gaps keep every search linear in the message's length.
_NEAR = 300


def _keyword(name: str, value: bool = False) -> str:
    """A refused keyword argument ``name``, capturing the class it was passed to (``layer``)
    and, with ``value``, the value given (``value``), when the message names them."""
    given = r"(?::\s*(?P<value>[^,}\s]+))?" if value else ""
    return (
        rf"{_REFUSED}(?:[^\n']{{0,40}}?\bpassed to (?P<layer>\w+))?"
        rf"[^\n]{{0,{_NEAR}}}?['\"]{name}['\"]{given}"
    )


@dataclass(frozen=True)
class Signature:
    """One Keras 2 habit: how its crash reads on Keras 3, and the hint that fixes it.

    ``types`` are exception class names (one of them must be the exception's type or in its
    MRO); ``patterns`` are searched in the message, the first that matches wins and its named
    groups fill the ``{fields}`` of ``hint``, ``defaults`` those a pattern did not capture.
    """

    name: str
    keras2: str
    types: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    hint: str
    defaults: tuple[tuple[str, str], ...] = ()

    def match(self, type_name: str, message: str, mro: list[str] | None = None):
        """The ``re.Match`` of this signature in the message, or ``None``."""
        raised = {type_name, *(mro or ())}
        if raised.isdisjoint(self.types):
            return None
        text = message[:SCAN]
        for pattern in self.patterns:
            found = pattern.search(text)
            if found is not None:
                return found
        return None

    def render(self, found: re.Match) -> str:
        """The hint, with what the message said in its fields."""
        fields = dict(self.defaults)
        fields.update({k: v for k, v in found.groupdict().items() if v})
        return self.hint.format_map(fields)


def _sig(name, keras2, types, patterns, hint, **defaults) -> Signature:
    patterns = (patterns,) if isinstance(patterns, str) else patterns
    return Signature(
        name=name,
        keras2=keras2,
        types=tuple(types),
        patterns=tuple(re.compile(p) for p in patterns),
        hint=hint,
        defaults=tuple(sorted(defaults.items())),
    )


#: The Keras 2 → 3 crash signatures, in the order their hints are given.
SIGNATURES: tuple[Signature, ...] = (
    # -- shapes and layer arguments --------------------------------------------------------------
    _sig(
        "batch_input_shape",
        "LSTM(units, batch_input_shape=(batch_size, timesteps, features), stateful=True)",
        ("ValueError", "TypeError"),
        _keyword("batch_input_shape"),
        "Keras 3 layers take no `batch_input_shape=`: remove it from {layer} and start the model "
        "with `keras.Input(batch_shape=(batch_size, timesteps, features))`; a stateful LSTM "
        "needs that fixed batch size.",
        layer="the layer",
    ),
    _sig(
        "stateful_batch_size",
        "keras.Input(shape=(timesteps, features)) before LSTM(units, stateful=True)",
        ("ValueError",),
        # Keras 3: "When using `stateful=True` in a RNN, the batch size must be static."
        # Keras 2: "If a RNN is stateful, it needs to know its batch size."
        r"(?i:\bRNN\b[^\n]{0,80}?\bstateful\b|\bstateful\b[^\n]{0,80}?\bRNN\b)"
        r"[^\n]{0,120}?\bbatch[ _]size\b",
        "A stateful LSTM needs a fixed batch size: start the model with "
        "`keras.Input(batch_shape=(batch_size, timesteps, features))` (Keras 2's "
        "`batch_input_shape=`), not `keras.Input(shape=...)`.",
    ),
    _sig(
        "input_length",
        "LSTM(units, input_length=timesteps, input_dim=features)",
        ("ValueError", "TypeError"),
        _keyword("input_length"),
        "Keras 3 layers take no `input_length=`: give the input's shape once, by starting the "
        "model with `keras.Input(shape=(timesteps, features))`.",
    ),
    _sig(
        "output_dim",
        "Dense(output_dim=1)",
        ("ValueError", "TypeError"),
        (
            _keyword("output_dim"),
            r"\.__init__\(\) missing \d+ required positional arguments?:[^\n]*'units'",
        ),
        "Keras 2's `output_dim=` is `units=` in Keras 3, and `Dense` and `LSTM` need it: give it "
        "first, as in `Dense(1)` or `LSTM(units)`.",
    ),
    # -- optimizers --------------------------------------------------------------------------------
    _sig(
        "lr",
        "SGD(lr=0.1), Adam(lr=0.01), compile(..., lr=0.1)",
        ("ValueError", "TypeError"),
        _keyword("lr", value=True),
        "Keras 3 optimizers take `learning_rate=`, not `lr=`: write "
        "`keras.optimizers.SGD(learning_rate={value})` (Adam and the others alike) and pass the "
        "optimizer to `compile(optimizer=...)`.",
        value="0.01",
    ),
    _sig(
        "optimizer_lr",
        "model.optimizer.lr",
        ("AttributeError",),
        rf"{_OPTIMIZER} 'lr'",
        "Keras 3's `{cls}` has no `lr`: it is `optimizer.learning_rate`, a variable; read it with "
        "`float(optimizer.learning_rate)`, change it with `optimizer.learning_rate.assign(0.01)` "
        "(assigning `optimizer.lr = ...` changes nothing).",
    ),
    _sig(
        "optimizers_legacy",
        "keras.optimizers.legacy.SGD(...)",
        ("ImportError",),
        r"(?i:optimizers\.legacy\W*(?:is )?not supported)",
        "Keras 3 has no legacy optimizers: use `keras.optimizers.SGD(learning_rate=...)` (Adam and "
        "the others alike).",
    ),
    # -- the model's methods ---------------------------------------------------------------------
    _sig(
        "nb_epoch",
        "model.fit(X, y, nb_epoch=100)",
        ("TypeError", "ValueError"),
        _keyword("nb_epoch"),
        "`fit` takes `epochs=`, not `nb_epoch=`: `model.fit(X, y, epochs=epochs)`.",
    ),
    _sig(
        "model_reset_states",
        "model.reset_states()",
        ("AttributeError",),
        rf"{_MODEL} 'reset_states'",
        "Keras 3's `{cls}` has no `reset_states()`: reset each stateful layer with "
        "`layer.reset_state()` (walk `model.layers`, nested models too, and take the layers "
        "whose `layer.stateful` is true).",
    ),
    _sig(
        "state_updates",
        "model.state_updates",
        ("AttributeError",),
        rf"{_MODEL} 'state_updates'",
        "Keras 3's `{cls}` has no `state_updates`: a stateful layer holds its state in "
        "`layer.states`; to reset it, call `layer.reset_state()` on each stateful layer.",
    ),
    _sig(
        "predict_classes",
        "model.predict_classes(X)",
        ("AttributeError",),
        rf"{_MODEL} 'predict_classes'",
        "Keras 3's `{cls}` has no `predict_classes`: take the probabilities with "
        "`p = model.predict(X)`, then the classes with `(p > 0.5).astype(int)` for one sigmoid "
        "output or `p.argmax(axis=-1)` for a softmax (ex01's `probabilities_to_classes`).",
    ),
    _sig(
        "predict_proba",
        "model.predict_proba(X)",
        ("AttributeError",),
        rf"{_MODEL} 'predict_proba'",
        "Keras 3's `{cls}` has no `predict_proba`: `model.predict(X)` already returns the "
        "probabilities.",
    ),
    _sig(
        "generators",
        "model.fit_generator(...), predict_generator(...), evaluate_generator(...)",
        ("AttributeError",),
        rf"{_MODEL} '(?P<method>fit|predict|evaluate)_generator'",
        "Keras 3's `{cls}` has no `{method}_generator`: `model.{method}(...)` takes the "
        "generator (or a `keras.utils.PyDataset`) itself, with the same step arguments.",
    ),
    # -- names that moved or went --------------------------------------------------------------
    _sig(
        "cudnn",
        "keras.layers.CuDNNLSTM(units)",
        ("AttributeError", *_IMPORTS),
        r"(?:has no attribute|cannot import name) '(?P<layer>CuDNN(?P<kind>LSTM|GRU))'",
        "Keras 3 has no `{layer}`: use `keras.layers.{kind}`, which runs the fast cuDNN kernel by "
        "itself on a GPU when its arguments allow (the defaults do).",
    ),
    _sig(
        "layers_submodule",
        "from keras.layers.recurrent import LSTM",
        ("AttributeError", *_IMPORTS),
        (
            r"No module named '[\w.]*\bkeras\.layers\.[\w.]+'",
            r"module '[\w.]*\bkeras\.layers' has no attribute '(?:recurrent|core|convolutional"
            r"|embeddings|cudnn_recurrent|normalization|pooling|merge|wrappers"
            r"|advanced_activations|noise|local)'",
        ),
        "Keras 3 has no submodules such as `keras.layers.recurrent`: import every layer from "
        "`keras.layers` itself, as in `from keras.layers import LSTM, Dense`.",
    ),
    _sig(
        "np_utils",
        "from keras.utils.np_utils import to_categorical",
        ("AttributeError", *_IMPORTS),
        (
            r"(?:has no attribute|cannot import name) 'np_utils'",
            r"No module named '[\w.]*\butils\.np_utils'",
        ),
        "Keras 3 has no `keras.utils.np_utils`: `to_categorical` is `keras.utils.to_categorical` "
        "(and `np.eye(k)[y]` does the same).",
    ),
    _sig(
        "timeseries_generator",
        "from keras.preprocessing.sequence import TimeseriesGenerator",
        ("AttributeError", *_IMPORTS),
        r"(?:has no attribute|cannot import name) 'TimeseriesGenerator'",
        "Keras 3 has no `TimeseriesGenerator`: `keras.utils.timeseries_dataset_from_array(data, "
        "targets, sequence_length=...)` makes the same windows as a dataset, or slice NumPy "
        "arrays yourself (as ex02's `sliding_windows` does).",
    ),
    _sig(
        "sklearn_wrappers",
        "from keras.wrappers.scikit_learn import KerasClassifier",
        ("AttributeError", *_IMPORTS),
        (
            r"No module named '[\w.]*\bkeras\.wrappers(?:\.scikit_learn)?'",
            r"module '[\w.]*\bkeras\.wrappers' has no attribute 'scikit_learn'",
            r"cannot import name 'scikit_learn' from '[\w.]*\bkeras\.wrappers'",
        ),
        "Keras 3 has no `keras.wrappers.scikit_learn`: use `keras.wrappers.SKLearnClassifier` or "
        "`SKLearnRegressor` (Keras 3.5 and later), or the `scikeras` package (`from "
        "scikeras.wrappers import KerasClassifier`).",
    ),
    _sig(
        "backend_session",
        "keras.backend.get_session(), K.set_session(sess)",
        ("AttributeError", *_IMPORTS),
        (
            rf"module {_BACKEND} has no attribute '(?P<name>get_session|set_session)'",
            rf"cannot import name '(?P<name>get_session|set_session)' from {_BACKEND}",
        ),
        "Keras 3 has no sessions (`keras.backend.{name}`): models run as they are called, so drop "
        "the session code; `keras.backend.clear_session()` still starts afresh.",
    ),
    _sig(
        "backend_value",
        "K.set_value(model.optimizer.lr, 0.01), K.get_value(variable)",
        ("AttributeError", *_IMPORTS),
        (
            rf"module {_BACKEND} has no attribute "
            r"'(?P<name>(?:batch_)?[gs]et_value)'",
            rf"cannot import name '(?P<name>(?:batch_)?[gs]et_value)' from {_BACKEND}",
        ),
        "Keras 3's backend has no `{name}`: read a variable with `float(variable)` or "
        "`variable.numpy()`, change it with `variable.assign(value)` (for example "
        "`model.optimizer.learning_rate.assign(0.01)`).",
    ),
)


def matches(type_name: str, message: str, mro: list[str] | None = None) -> tuple:
    """Every ``(signature, match)`` of the table that an exception described as data fits.

    ``type_name`` is the exception's class name, ``mro`` the names of its class's MRO (the
    worker sends them; an import failure comes without), ``message`` its ``str``.
    """
    if not isinstance(message, str) or not isinstance(type_name, str):
        return ()
    found = ((sig, sig.match(type_name, message, mro)) for sig in SIGNATURES)
    return tuple((sig, match) for sig, match in found if match is not None)


def hint_for(type_name: str, message: str, mro: list[str] | None = None) -> str | None:
    """The Keras 3 way for the Keras 2 habit this exception shows, or ``None``.

    One message can show several habits (``Dense(output_dim=1, init="uniform")``); their
    hints are joined, in table order, each once.
    """
    hints = []
    for sig, found in matches(type_name, message, mro):
        hint = sig.render(found)
        if hint not in hints:
            hints.append(hint)
    return " ".join(hints) or None


def with_hint(text: str, type_name: str, message: str, mro: list[str] | None = None) -> str:
    """``text`` with the Keras 2 → 3 hint on a line of its own, added once; ``text`` itself
    when no signature matches (or it already holds a hint, so wrapping twice changes nothing)."""
    if LABEL in text:
        return text
    hint = hint_for(type_name, message, mro)
    if hint is None:
        return text
    return f"{text.rstrip()}\n{LABEL} {hint}"
