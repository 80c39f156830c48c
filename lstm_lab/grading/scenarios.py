"""Probes that run in the worker, for what cannot travel as data: models, callbacks, training.

Each scenario takes the target's ``Modules`` first, calls the target's code, and returns plain
data (arrays, numbers, strings, lists, dicts) that the judge checks itself. A scenario never
decides anything: it records. Models the judge needs built independently of the target come as a
small spec, ``{"batch_shape": [b, t, f], "layers": [["LSTM", {...}], ["Dense", {...}]]}``, so no
reference model lives here; ``["Sequential", {"layers": [...]}]`` nests a model as a layer.
"""

from __future__ import annotations

import contextlib

import numpy as np

#: The layer classes a probe spec may name.
SPEC_LAYERS = ("LSTM", "GRU", "SimpleRNN", "Dense")


# -- helpers -------------------------------------------------------------------------------------
def _keras():
    import keras

    return keras


def _spec_layers(specs: list) -> list:
    """The layers of a probe spec; ``["Sequential", {"layers": [...]}]`` is a nested model."""
    keras = _keras()
    layers = []
    for name, config in specs:
        if name == "Sequential":
            layers.append(keras.Sequential(_spec_layers(config["layers"])))
        elif name in SPEC_LAYERS:
            layers.append(getattr(keras.layers, name)(**config))
        else:
            raise ValueError(f"probe specs may only use {SPEC_LAYERS} and Sequential, got {name!r}")
    return layers


def _build(spec: dict):
    """A ``Sequential`` from a probe spec (the judge's own model, not the target's)."""
    keras = _keras()
    inputs = keras.Input(batch_shape=tuple(spec["batch_shape"]))
    model = keras.Sequential([inputs, *_spec_layers(spec["layers"])])
    if "weights" in spec:
        model.set_weights([np.asarray(w, dtype=np.float32) for w in spec["weights"]])
    return model


def _numpy(value) -> np.ndarray:
    """A backend tensor or variable as a NumPy array, on any Keras backend."""
    return np.array(_keras().ops.convert_to_numpy(value))


def _state_vars(layer) -> list:
    return list(getattr(layer, "states", None) or [])


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)


def _stateful_layers(model) -> list:
    return [layer for layer in _all_layers(model) if getattr(layer, "stateful", False)]


def _states(model) -> list[list[np.ndarray]]:
    """The current state arrays of every stateful layer, in layer order."""
    return [[_numpy(v) for v in _state_vars(layer)] for layer in _stateful_layers(model)]


def _zero(states) -> bool:
    return all(not np.any(s) for layer in states for s in layer)


def _same(states, previous) -> bool:
    if previous is None:
        return False
    return all(
        np.array_equal(a, b) for layer, old in zip(states, previous) for a, b in zip(layer, old)
    )


def _states_are_zero(model) -> bool:
    return _zero(_states(model))


def _set_states(model, value: float) -> None:
    for layer in _stateful_layers(model):
        for v in _state_vars(layer):
            v.assign(np.full(tuple(v.shape), value, dtype="float32"))


def _describe_layer(layer) -> dict:
    config = layer.get_config()
    keep = ("units", "stateful", "activation", "return_sequences", "batch_shape", "use_bias")
    return {
        "class": type(layer).__name__,
        "config": {k: config[k] for k in keep if k in config and _is_plain(config[k])},
    }


def _is_plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(v is None or isinstance(v, (int, float, str, bool)) for v in value)
    return value is None or isinstance(value, (int, float, str, bool))


def _optimizer(model) -> dict | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    info = {"class": type(optimizer).__name__}
    for key in ("learning_rate", "momentum"):
        value = getattr(optimizer, key, None)
        if value is None:
            continue
        try:
            info[key] = float(_numpy(value))
        except (TypeError, ValueError):
            pass
    return info


def describe_model(model) -> dict:
    """What the judge may check of a model: its layers, input, compile settings and weights."""
    keras = _keras()
    if not isinstance(model, keras.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    inputs = getattr(model, "inputs", None) or []
    loss = getattr(model, "loss", None)
    metrics = []
    compiled = (
        bool(getattr(model, "compiled", False)) or getattr(model, "optimizer", None) is not None
    )
    for m in getattr(model, "_compile_metrics", None) and [model._compile_metrics] or []:
        metrics.extend(str(x) for x in getattr(m, "_user_metrics", None) or [])
    return {
        "class": type(model).__name__,
        "input_shape": [None if d is None else int(d) for d in inputs[0].shape] if inputs else None,
        "layers": [_describe_layer(layer) for layer in model.layers],
        "compiled": compiled,
        "optimizer": _optimizer(model) if compiled else None,
        "loss": loss if isinstance(loss, str) else (getattr(loss, "name", None) or str(loss)),
        "metrics": metrics,
        "weights": [np.asarray(w) for w in model.get_weights()],
        "layer_weights": [[np.asarray(w) for w in layer.get_weights()] for layer in model.layers],
    }


def _history(history) -> dict:
    out = {}
    for key, values in dict(history or {}).items():
        try:
            out[str(key)] = [float(v) for v in values]
        except (TypeError, ValueError):
            out[str(key)] = None
    return out


# -- ex01 ----------------------------------------------------------------------------------------
def regressor_probe(modules, timesteps, units=10, features=1, x=None, weights=None):
    """``build_regressor``: the model's description, and its outputs on ``x`` if given; with
    ``weights`` (the judge's, flattened) the model computes with those."""
    model = modules.get("ex01_lifecycle").build_regressor(timesteps, units, features)
    if weights is not None:
        model.set_weights([np.asarray(w, dtype="float32") for w in weights])
    out = describe_model(model)
    if x is not None:
        out["outputs"] = np.asarray(model.predict_on_batch(np.asarray(x, dtype="float32")))
    return out


def lifecycle_probe(modules, series, optimizer=None, **kwargs):
    """``run_lifecycle``: its result fields, the model's description and its optimizer.

    ``optimizer`` is a spec ``{"class": "SGD", "learning_rate": 0.1, "momentum": 0.3}`` built here
    into a Keras optimizer object, or a name passed as is.
    """
    keras = _keras()
    if isinstance(optimizer, dict):
        spec = dict(optimizer)
        optimizer = getattr(keras.optimizers, spec.pop("class"))(**spec)
    if optimizer is not None:
        kwargs["optimizer"] = optimizer
    result = modules.get("ex01_lifecycle").run_lifecycle(np.asarray(series), **kwargs)
    model = getattr(result, "model", None)
    return {
        "type": type(result).__name__,
        "fields": sorted(
            k for k in ("model", "history", "loss", "predictions") if hasattr(result, k)
        ),
        "history": _history(getattr(result, "history", None)),
        "loss": float(np.asarray(getattr(result, "loss", np.nan)).reshape(-1)[0]),
        "predictions": np.asarray(getattr(result, "predictions", np.array([]))),
        "model": describe_model(model) if model is not None else None,
    }


# -- ex04 ----------------------------------------------------------------------------------------
def stateful_classifier_probe(
    modules, batch_size, chunk=1, units=8, features=1, weights=None, x=None, **kwargs
):
    """``build_stateful_classifier``: description, and whether state carries between calls.

    Feeds one batch twice: a stateful model answers differently the second time. With
    ``weights`` (the judge's, flattened) and ``x`` the model runs with those; the description
    reports what it ran with, for the judge to compare.
    """
    model = modules.get("ex04_stateful").build_stateful_classifier(
        batch_size, chunk, units, features, **kwargs
    )
    if weights is not None:
        model.set_weights([np.asarray(w, dtype="float32") for w in weights])
    out = describe_model(model)
    if x is None:
        x = np.random.default_rng(0).random((batch_size, chunk, features))
    x = np.asarray(x, dtype="float32")
    first = np.asarray(model.predict_on_batch(x))
    second = np.asarray(model.predict_on_batch(x))
    out["first"], out["second"] = first, second
    out["stateful_layers"] = len(_stateful_layers(model))
    return out


def reset_states_probe(modules, spec, x, functional=False, side=False):
    """``reset_states`` on the judge's model ``spec`` after feeding it ``x``; built as a
    functional model with ``functional``, and with ``side`` beside a non-recurrent layer that has
    ``reset_state`` (``_build_functional``).

    Returns the states before and after the reset, the count it returned, ``stateful`` (how many
    stateful layers the model holds), the output of a first call, of a second call (state
    carried), and of a call after the reset.
    """
    model = _build_functional(spec, side) if functional else _build(spec)
    x = np.asarray(x, dtype="float32")
    first = _first_output(model(x))
    second = _first_output(model(x))
    before = _states(model)
    count = modules.get("ex04_stateful").reset_states(model)
    after = _states(model)
    third = _first_output(model(x))
    return {
        "layer_weights": _weights_by_layer(model),
        "count": count if isinstance(count, (int, np.integer)) else repr(count),
        "stateful": len(_stateful_layers(model)),
        "before": before,
        "after": after,
        "first": first,
        "second": second,
        "after_reset": third,
    }


def reset_callback_probe(
    modules,
    batches,
    spec,
    x,
    y,
    epochs=2,
    steps_per_execution=1,
    functional=False,
    phases=("fit", "evaluate", "predict"),
):
    """Where ``ResetStatesEvery(batches)`` resets, in ``fit``, ``evaluate`` and ``predict`` (the
    ``phases`` asked for), on the judge's model compiled with ``steps_per_execution`` (Keras then
    calls the batch hooks once per execution, with the index of its first batch).

    Before every batch a callback sets every state to ones; after the target's callback another
    records whether the states are zero. So each recorded index is a batch the target reset
    before, and nothing else. Also returns ``seen``, the batch indices the hooks were called with
    in each phase.
    """
    keras = _keras()
    model = _build_functional(spec) if functional else _build(spec)
    model.compile(
        optimizer="sgd", loss="binary_crossentropy", steps_per_execution=steps_per_execution
    )
    target_cls = modules.get("ex04_stateful").ResetStatesEvery
    resets: dict[str, list] = {"fit": [], "evaluate": [], "predict": []}
    seen: dict[str, list] = {"fit": [], "evaluate": [], "predict": []}
    phase = {"name": "fit", "epoch": 0}

    def key(batch):
        return [phase["epoch"], int(batch)] if phase["name"] == "fit" else int(batch)

    class Dirty(keras.callbacks.Callback):
        def _dirty(self, batch, logs=None):
            seen[phase["name"]].append(key(batch))
            _set_states(self.model, 1.0)

        on_train_batch_begin = on_test_batch_begin = on_predict_batch_begin = _dirty

        def on_epoch_begin(self, epoch, logs=None):
            phase["epoch"] = epoch

    class Watch(keras.callbacks.Callback):
        def _watch(self, batch, logs=None):
            if _states_are_zero(self.model):
                resets[phase["name"]].append(key(batch))

        on_train_batch_begin = on_test_batch_begin = on_predict_batch_begin = _watch

    bs = spec["batch_shape"][0]
    x = np.asarray(x, dtype="float32")
    y = np.asarray(y, dtype="float32")

    def callbacks():
        return [Dirty(), target_cls(batches), Watch()]

    if "fit" in phases:
        model.fit(
            x, y, batch_size=bs, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks()
        )
    if "evaluate" in phases:
        phase["name"] = "evaluate"
        model.evaluate(x, y, batch_size=bs, verbose=0, callbacks=callbacks())
    if "predict" in phases:
        phase["name"] = "predict"
        model.predict(x, batch_size=bs, verbose=0, callbacks=callbacks())
    return {"resets": resets, "seen": seen, "steps": len(x) // bs}


def stateful_pass_probe(
    modules, batches, spec, xs, batch_size, steps_per_execution=None, functional=False
):
    """Predict the judge's layout ``xs`` with the judge's stateful model and the target's callback
    (the model built functional with ``functional``, and compiled with ``steps_per_execution``
    when given).

    Returns the per-row predictions and the model's layer weights, so the judge can compare the
    outputs at each sequence's end with a stateless pass and with the NumPy LSTM.
    """
    model = _build_functional(spec) if functional else _build(spec)
    if steps_per_execution is not None:
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps_per_execution)
    callback = modules.get("ex04_stateful").ResetStatesEvery(batches)
    _set_states(model, 0.5)  # a dirty start: the callback must clear it before the first group
    predictions = np.asarray(
        model.predict(
            np.asarray(xs, dtype="float32"), batch_size=batch_size, verbose=0, callbacks=[callback]
        )
    )
    return {"predictions": predictions, "layer_weights": _weights_by_layer(model)}


def _weights_by_layer(model) -> list[list[np.ndarray]]:
    """The weights of every layer that has some, nested models unrolled, in Keras's order."""
    return [
        [np.asarray(w) for w in layer.get_weights()]
        for layer in _all_layers(model)
        if not getattr(layer, "layers", None) and layer.get_weights()
    ]


def _build_functional(spec: dict, side: bool = False):
    """The spec's model as a functional ``keras.Model(inputs, outputs)`` (a nested
    ``Sequential`` is then a layer of a functional model). With ``side``, a second output
    ``Discretization`` on the inputs: a layer that has ``reset_state`` (of its adapted bins) but
    no ``stateful``, and holds no recurrent state."""
    keras = _keras()
    inputs = keras.Input(batch_shape=tuple(spec["batch_shape"]))
    out = inputs
    for layer in _spec_layers(spec["layers"]):
        out = layer(out)
    outputs = [out, keras.layers.Discretization(bin_boundaries=[0.5])(inputs)] if side else out
    model = keras.Model(inputs, outputs)
    if "weights" in spec:
        model.set_weights([np.asarray(w, dtype=np.float32) for w in spec["weights"]])
    return model


def _first_output(value) -> np.ndarray:
    return _numpy(value[0] if isinstance(value, (list, tuple)) else value)


def classifier_behaviour_probe(modules, args, weights, x, y):
    """``build_stateful_classifier(**args)`` (only the arguments given: the rest are its
    defaults), then one ``train_on_batch`` from a zero state with the judge's ``weights`` on the
    judge's batch ``(x, y)``: the loss and metrics it reports (computed before the update, by
    name: ``metrics``) and the weights after it (``trained``), for the judge to compare with the
    numbers and the optimizer's step it expects. States are zeroed here, not by target code."""
    model = modules.get("ex04_stateful").build_stateful_classifier(**args)
    out = describe_model(model)
    out["metrics"] = out["trained"] = None
    if [tuple(w.shape) for w in model.get_weights()] != [tuple(np.shape(w)) for w in weights]:
        return out  # another architecture: the description says which
    model.set_weights([np.asarray(w, dtype="float32") for w in weights])
    out["set"] = _weights_by_layer(model)
    for layer in _stateful_layers(model):
        layer.reset_state()
    metrics = model.train_on_batch(
        np.asarray(x, dtype="float32"), np.asarray(y, dtype="float32"), return_dict=True
    )
    out["metrics"] = {str(k): float(np.asarray(v)) for k, v in dict(metrics).items()}
    out["trained"] = _weights_by_layer(model)
    return out


# -- ex05 ----------------------------------------------------------------------------------------
def _batch_watch(keras, log: list):
    """A callback that logs, for each batch, ``[index, zero, carried]``: whether the state it
    began with (after the target's callbacks) was zero, and whether it was exactly the state the
    previous batch ended with. A reset shows as "zero and not carried"; a state that merely
    happens to be zero (all inputs 0 so far) is "zero and carried", and the judge does not count
    it as a reset."""

    class Watch(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.last = None

        def on_train_batch_begin(self, batch, logs=None):
            states = _states(self.model)
            log.append([int(batch), _zero(states), _same(states, self.last)])

        def on_train_batch_end(self, batch, logs=None):
            self.last = _states(self.model)

        def on_epoch_begin(self, epoch, logs=None):
            self.last = None

    return Watch()


class _Recorder:
    """Stand-ins for ``keras.Model.fit`` and ``train_on_batch`` that record each call's settings
    and the states its batches began with, then call the original."""

    def __init__(self, keras):
        self.keras = keras
        self.fit_original = keras.Model.fit
        self.tob_original = keras.Model.train_on_batch
        self.record = {"fit_calls": [], "train_on_batch_calls": 0, "train_on_batch_states": []}
        self.last_tob = None

    def fit(self, model, *args, **kw):
        log: list = []
        call = {
            "shuffle": kw.get("shuffle", True),
            "batch_size": kw.get("batch_size"),
            "epochs": kw.get("epochs", 1),
            "steps_per_execution": int(getattr(model, "steps_per_execution", 1) or 1),
            "stateful": bool(_stateful_layers(model)),
            "batches": log,
        }
        self.record["fit_calls"].append(call)
        if call["stateful"]:
            kw["callbacks"] = list(kw.get("callbacks") or []) + [_batch_watch(self.keras, log)]
        return self.fit_original(model, *args, **kw)

    def train_on_batch(self, model, *args, **kw):
        self.record["train_on_batch_calls"] += 1
        stateful = bool(_stateful_layers(model))
        if stateful and len(self.record["train_on_batch_states"]) < 100_000:
            states = _states(model)
            self.record["train_on_batch_states"].append(
                [_zero(states), _same(states, self.last_tob)]
            )
        result = self.tob_original(model, *args, **kw)
        if stateful:
            self.last_tob = _states(model)
        return result

    @contextlib.contextmanager
    def installed(self):
        recorder = self
        self.keras.Model.fit = lambda model, *a, **kw: recorder.fit(model, *a, **kw)
        self.keras.Model.train_on_batch = lambda model, *a, **kw: recorder.train_on_batch(
            model, *a, **kw
        )
        try:
            yield self.record
        finally:
            self.keras.Model.fit = self.fit_original
            self.keras.Model.train_on_batch = self.tob_original


def train_probe(modules, trainer, X_train, y_train, X_val, y_val, **kwargs):
    """Run ``ex05_training.<trainer>`` and record what the judge needs to check it.

    Besides the result (history, model description and weights), it records every ``fit`` and
    ``train_on_batch`` call the trainer makes: their settings (``shuffle``, ``batch_size``), and
    for each batch whether the model's states were zero when it began — after the target's own
    callbacks ran — which shows where the trainer reset.
    """
    with _Recorder(_keras()).installed() as record:
        result = getattr(modules.get("ex05_training"), trainer)(
            X_train, y_train, X_val, y_val, **kwargs
        )
    for call in record["fit_calls"]:  # keep the first epoch's batches only: enough to judge
        call["batches"] = call["batches"][:2000]
    model = getattr(result, "model", None)
    return {
        "type": type(result).__name__,
        "history": _history(getattr(result, "history", None)),
        "model": describe_model(model) if model is not None else None,
        **record,
    }


def _shape(value) -> list[int] | None:
    shape = getattr(value, "shape", None)
    try:
        return None if shape is None else [int(d) for d in shape]
    except (TypeError, ValueError):
        return None


def train_on_reference_probe(modules, trainer, X_train, y_train, X_val, y_val, **kwargs):
    """``train_inputs_probe`` with ex05 running on the reference's ex02-ex04
    (``relay.reference_pieces``),
    so that a mistake there is not counted again in ex05. Adds ``pieces``, the names swapped."""
    from . import relay

    with relay.reference_pieces(modules) as swapped:
        out = train_inputs_probe(modules, trainer, X_train, y_train, X_val, y_val, **kwargs)
    out["pieces"] = swapped
    return out


def train_inputs_probe(modules, trainer, X_train, y_train, X_val, y_val, **kwargs):
    """``train_probe``, plus what every ``fit`` call was given to train and validate on.

    Adds ``fit_inputs``, one ``{"x": shape, "validation_x": shape}`` per ``fit`` call, in the order
    of ``fit_calls`` (a shape is ``None`` when the input is not an array: a dataset, a generator).
    """
    keras = _keras()
    inputs: list[dict] = []
    original_fit = keras.Model.fit

    def fit(self, x=None, y=None, *args, **kw):
        validation = kw.get("validation_data")
        inputs.append(
            {
                "x": _shape(x),
                "validation_x": _shape(validation[0])
                if isinstance(validation, (tuple, list)) and validation
                else None,
            }
        )
        return original_fit(self, x, y, *args, **kw)

    keras.Model.fit = fit
    try:
        out = train_probe(modules, trainer, X_train, y_train, X_val, y_val, **kwargs)
    finally:
        keras.Model.fit = original_fit
    out["fit_inputs"] = inputs
    return out


# -- shared conventions --------------------------------------------------------------------------
def call_checking_inputs(modules, module, function, *args, **kwargs):
    """Call ``module.function(*args, **kwargs)`` and report which array arguments it modified.

    Arguments travel to the worker as copies, so only here can a change to them be seen.
    """
    before = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    getattr(modules.get(module), function)(*args, **kwargs)
    modified = [
        i
        for i, (a, b) in enumerate(zip(args, before))
        if b is not None and not np.array_equal(a, b, equal_nan=True)
    ]
    return {"modified": modified}
