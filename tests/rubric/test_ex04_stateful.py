"""ex04_stateful: the stateful classifier, resetting states, and the reset callback."""

from __future__ import annotations

import numpy as np
import pytest
from support import (
    ORACLE_ATOL,
    called,
    expect_close,
    expect_weights_kept,
    fail,
    judge_forward,
    judge_weights,
    model_layers,
    spec_forward,
    spec_weights,
    stateful_count,
    with_weights,
)

from lstm_lab import oracle

MODULE = "ex04_stateful"
exercise = pytest.mark.exercise


def spec(batch_size, chunk, features=1, layers=None):
    """A judge-built model: stateful LSTM then a sigmoid Dense, unless ``layers`` says otherwise."""
    return {
        "batch_shape": [batch_size, chunk, features],
        "layers": layers
        or [
            ["LSTM", {"units": 3, "stateful": True}],
            ["Dense", {"units": 1, "activation": "sigmoid"}],
        ],
    }


# -- build_stateful_classifier -------------------------------------------------------------------
@pytest.fixture(scope="module")
def classifier(target, shared):
    # One probe for the tests of one model: its description, and one training step on the
    # judge's batch with the judge's weights (``behaviour`` below).
    args = dict(batch_size=10, chunk=5, units=6, features=2, learning_rate=0.02)
    return lambda: shared(
        ("classifier", 10, 5, 6, 2, 0.02), lambda: behaviour(target, args, seed=41)
    ), args


@exercise(MODULE, points=2)
def test_build_stateful_classifier_layers_and_batch_shape(classifier):
    probe, args = classifier
    model = probe()[0]
    call = called("build_stateful_classifier", **args)
    if model["input_shape"] != [10, 5, 2]:
        fail(
            call,
            f"the input's batch shape was {model['input_shape']}",
            "[10, 5, 2]",
            "a stateful layer needs a fixed batch: keras.Input(batch_shape=(batch_size, chunk, "
            "features)); Keras 3 has no batch_input_shape=",
        )
    classes = [layer["class"] for layer in model_layers(model)]
    if classes != ["LSTM", "Dense"]:
        fail(call, f"the layers were {classes}", "['LSTM', 'Dense']")
    lstm, dense = (layer["config"] for layer in model_layers(model))
    if not lstm.get("stateful") or lstm.get("units") != 6:
        fail(
            call,
            f"the LSTM had units={lstm.get('units')}, stateful={lstm.get('stateful')}",
            "LSTM(6, stateful=True)",
        )
    if dense.get("units") != 1 or dense.get("activation") != "sigmoid":
        fail(
            call,
            f"the Dense layer had units={dense.get('units')}, activation="
            f"{dense.get('activation')!r}",
            "Dense(1, activation='sigmoid')",
        )


def behaviour(target, args: dict, seed: int):
    """``build_stateful_classifier(**args)`` trained one step on the judge's batch with the
    judge's weights: the probe's report, the weights set and what the judge expects of the step:
    ``p`` (the outputs from a zero state, by the NumPy LSTM) and labels ``y`` that make half of
    the predictions right (accuracy 0.5, so a metric that is not accuracy shows)."""
    batch, chunk = args["batch_size"], args.get("chunk", 1)
    units, features = args.get("units", 8), args.get("features", 1)
    judged = spec(batch, chunk, features, [["LSTM", {"units": units}], ["Dense", {"units": 1}]])
    weights = judge_weights(judged, seed=seed)
    x = np.random.default_rng(seed + 1).random((batch, chunk, features)).astype("float32")
    p = oracle.classifier_forward(x, *weights).reshape(-1)
    assert np.abs(p - 0.5).min() > 1e-3, "the judge's batch must have no output near 0.5"
    y = (p > 0.5).astype(np.float64)
    y[batch // 2 :] = 1 - y[batch // 2 :]
    probe = target.scenario(
        "classifier_behaviour_probe", args, with_weights(judged, weights)["weights"], x, y
    )
    return probe, weights, p, y


def expect_adam_step(probe, weights, learning_rate, call):
    """Adam's first step moves every weight by at most ``learning_rate``, and by that much
    (within 1 %) each weight whose gradient is not tiny: the largest move is the rate."""
    moves = np.concatenate(
        [
            np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).ravel()
            for after, before in zip(probe["trained"], weights)
            for a, b in zip(after, before)
        ]
    )
    largest = float(moves.max()) if moves.size else 0.0
    if not 0.99 * learning_rate <= largest <= 1.0001 * learning_rate + 1e-7:
        fail(
            call + ", then trained one step with train_on_batch",
            f"the largest change of a weight was {largest:.6g}",
            f"{learning_rate:g}: Adam's first step moves a weight by the learning rate",
            "compile with keras.optimizers.Adam(learning_rate=learning_rate); Keras 3 has no lr=",
        )


def expect_binary_classification(probe, p, y, call):
    """The loss is binary cross-entropy and a metric is accuracy, by what they report."""
    metrics = probe["metrics"]
    loss, expected = metrics.get("loss"), oracle.binary_crossentropy(y, p)
    if loss is None or not np.isclose(loss, expected, atol=1e-4, rtol=0):
        fail(
            call + ", then trained one step on a batch the judge chose",
            f"it reported the loss {loss!r}",
            f"{expected:.6f}, the binary cross-entropy of that batch",
            "compile with loss='binary_crossentropy'",
        )
    others = {k: v for k, v in metrics.items() if k != "loss"}
    accuracy = [k for k, v in others.items() if np.isclose(v, 0.5, atol=1e-6)]
    wrong = [k for k in others if "acc" in k.lower() and k not in accuracy]
    if not accuracy or wrong:
        fail(
            call + ", then trained one step on a batch where half the predictions are right",
            f"it reported the metrics {others}",
            "accuracy 0.5",
            "compile with metrics=['accuracy']",
        )


@exercise(MODULE, points=1)
def test_build_stateful_classifier_is_compiled_for_binary_classification(classifier):
    # What the compiled model computes, on the judge's batch and weights: binary cross-entropy,
    # accuracy, and Adam's first step at the learning rate given.
    shared_probe, args = classifier
    probe, weights, p, y = shared_probe()
    call = called("build_stateful_classifier", **args)
    optimizer = probe["optimizer"] or {}
    if not probe["compiled"] or optimizer.get("class") != "Adam":
        fail(call, f"the optimizer was {optimizer.get('class')}", "a model compiled with Adam")
    if probe["metrics"] is None:
        fail(call, "the model's weights were not those of LSTM(6) then Dense(1)", "those")
    expect_weights_kept(probe["set"], weights, call)
    expect_binary_classification(probe, p, y, call)
    expect_adam_step(probe, weights, args["learning_rate"], call)


@exercise(MODULE, points=1)
def test_build_stateful_classifier_defaults(target):
    # build_stateful_classifier(4) is build_stateful_classifier(4, chunk=1, units=8, features=1,
    # learning_rate=0.01): the defaults, seen in the model and in its first training step.
    probe, weights, p, y = behaviour(target, {"batch_size": 4}, seed=43)
    call = called("build_stateful_classifier", 4)
    signature = (
        "the signature is build_stateful_classifier(batch_size, chunk=1, units=8, features=1, "
        "learning_rate=0.01)"
    )
    if probe["input_shape"] != [4, 1, 1]:
        fail(
            call,
            f"the input's batch shape was {probe['input_shape']}",
            "[4, 1, 1]: chunk and features default to 1",
            signature,
        )
    units = [layer["config"].get("units") for layer in model_layers(probe)]
    if not units or units[0] != 8 or probe["metrics"] is None:
        fail(call, f"the layers had units {units}", "an LSTM of 8 units first", signature)
    expect_adam_step(probe, weights, 0.01, call)


@pytest.mark.needs_stateful("carry")
@exercise(MODULE, points=1)
def test_build_stateful_classifier_carries_state_between_batches(target, classifier):
    # The judge sets its own weights and batch: the outputs it expects are its own numbers.
    _, args = classifier
    judged = spec(10, 5, 2, [["LSTM", {"units": 6}], ["Dense", {"units": 1}]])
    weights = judge_weights(judged, seed=11)
    lstm, dense = weights
    x = np.random.default_rng(12).random((10, 5, 2)).astype("float32")
    call = called("build_stateful_classifier", **args) + ", then predicted one batch twice"
    model = target.scenario(
        "stateful_classifier_probe", **args, weights=with_weights(judged, weights)["weights"], x=x
    )
    expect_weights_kept(model["layer_weights"], weights, call)
    first = oracle.lstm_forward(x, lstm)
    second = oracle.lstm_forward(x, lstm, initial_state=(first.h, first.c))
    expect_close(
        model["first"],
        oracle.dense_forward(first.outputs, dense, "sigmoid"),
        call,
        "the first output",
        "a fresh model starts from a zero state",
        atol=ORACLE_ATOL,
    )
    expect_close(
        model["second"],
        oracle.dense_forward(second.outputs, dense, "sigmoid"),
        call,
        "the second output",
        "the second batch must start from the first's final state (stateful=True)",
        atol=ORACLE_ATOL,
    )


# -- reset_states --------------------------------------------------------------------------------
@exercise(MODULE, points=2)
@pytest.mark.parametrize(
    "layers, stateful",
    [
        ([["LSTM", {"units": 3, "stateful": True}], ["Dense", {"units": 1}]], 1),
        (
            [
                ["LSTM", {"units": 4, "stateful": True, "return_sequences": True}],
                ["LSTM", {"units": 3, "stateful": True}],
                ["Dense", {"units": 1}],
            ],
            2,
        ),
        (
            [
                ["LSTM", {"units": 4, "return_sequences": True}],
                ["LSTM", {"units": 3, "stateful": True}],
                ["Dense", {"units": 1}],
            ],
            1,
        ),
        (
            [
                [
                    "Sequential",
                    {
                        "layers": [
                            ["LSTM", {"units": 4, "stateful": True, "return_sequences": True}]
                        ]
                    },
                ],
                ["LSTM", {"units": 3, "stateful": True}],
                ["Dense", {"units": 1}],
            ],
            2,
        ),
    ],
    ids=["one-stateful", "two-stateful", "stateless-then-stateful", "nested-model"],
)
def test_reset_states_zeroes_every_stateful_layer(target, layers, stateful):
    # Call twice (state carries), reset, call again: the same output as the first call.
    x = np.random.default_rng(2).random((2, 4, 1))
    judged = spec(2, 4, 1, layers)
    weights = judge_weights(judged, seed=21)
    probe = target.scenario("reset_states_probe", with_weights(judged, weights), x)
    nested = any(name == "Sequential" for name, _ in layers)
    where = ", one inside a nested Sequential" if nested else ""
    call = called("reset_states", f"<model with {stateful} stateful LSTM layer(s){where}>")
    expect_weights_kept(probe["layer_weights"], weights, call)
    expect_close(
        probe["first"],
        judge_forward(judged, weights, x),
        call,
        "the first output (the judge's model, before any reset)",
        atol=ORACLE_ATOL,
    )
    walk = "; a model used as a layer has layers of its own: walk them too" if nested else ""
    if probe["count"] != stateful:
        fail(
            call,
            f"it returned {probe['count']!r}",
            f"{stateful}, the number of layers reset",
            "count the layers whose .stateful is true; Keras 3 has no model.reset_states()" + walk,
        )
    for i, states in enumerate(probe["after"]):
        if any(np.any(s) for s in states):
            fail(
                call,
                f"stateful layer {i} still held a non-zero state",
                "all states zero",
                "call layer.reset_state() on every stateful layer" + walk,
            )
    expect_close(
        probe["after_reset"],
        judge_forward(judged, weights, x),
        call,
        "the output after the reset",
        "after a reset the model must answer as it did from a fresh start",
        atol=ORACLE_ATOL,
    )


# -- ResetStatesEvery ----------------------------------------------------------------------------
def expected_resets(steps, every, epochs=2):
    starts = [b for b in range(steps) if b % every == 0]
    return {
        "fit": [[e, b] for e in range(epochs) for b in starts],
        "evaluate": starts,
        "predict": starts,
    }


@pytest.mark.needs_stateful("backprop")
@exercise(MODULE, points=3)
@pytest.mark.parametrize(
    "every, steps", [(3, 9), (1, 4), (4, 4), (2, 7)], ids=["every-3", "every-1", "once", "uneven"]
)
def test_reset_callback_resets_before_each_group(target, every, steps):
    # Resets before batches 0, k, 2k, ... of fit (every epoch), evaluate and predict; nowhere else.
    x = np.random.default_rng(3).random((2 * steps, 3, 1))
    y = np.zeros(2 * steps)
    probe = target.scenario("reset_callback_probe", every, spec(2, 3), x, y)
    expected = expected_resets(steps, every)
    call = (
        called(f"ResetStatesEvery({every})") + f" in fit (2 epochs), evaluate and predict, "
        f"{steps} batches each"
    )
    hints = {
        "fit": "reset in on_train_batch_begin when batch % batches == 0",
        "evaluate": "evaluation needs resets too: on_test_batch_begin",
        "predict": "prediction needs resets too: on_predict_batch_begin",
    }
    for phase in ("fit", "evaluate", "predict"):
        got = probe["resets"][phase]
        if got != expected[phase]:
            extra = sorted(set(map(str, got)) - set(map(str, expected[phase])))
            hint = hints[phase]
            if extra:
                hint = "it resets where it should not: only before batches that start a group"
            fail(
                call, f"in {phase} it reset before batches {got}", f"before {expected[phase]}", hint
            )


@pytest.mark.needs_stateful("carry")
@exercise(MODULE, points=3)
@pytest.mark.parametrize("batch_size, chunk", [(1, 1), (2, 3), (3, 2), (2, 6)])
def test_reset_callback_gives_the_stateless_output_at_each_sequence_end(target, batch_size, chunk):
    # The judge's layout of 6 sequences of length 6, predicted by a stateful model with the
    # callback, gives at the end of each sequence what the NumPy LSTM gives on the whole sequence
    # from a zero state.
    n, length = 6, 6
    X = np.random.default_rng(4).random((n, length, 1))
    chunks = length // chunk
    groups = n // batch_size
    xs = (
        X.reshape(groups, batch_size, chunks, chunk, 1)
        .transpose(0, 2, 1, 3, 4)
        .reshape(-1, chunk, 1)
    )
    judged = spec(batch_size, chunk)
    weights = judge_weights(judged, seed=31)
    probe = target.scenario(
        "stateful_pass_probe", chunks, with_weights(judged, weights), xs, batch_size
    )
    lstm, dense = weights
    expected = oracle.classifier_forward(X, lstm, dense)
    last = [
        g * chunks * batch_size + (chunks - 1) * batch_size + b
        for g in range(groups)
        for b in range(batch_size)
    ]
    got = np.asarray(probe["predictions"]).reshape(-1)[last]
    call = called(f"ResetStatesEvery({chunks})") + (
        f" while predicting 6 sequences of 6 steps, batch size {batch_size}, chunk {chunk}"
    )
    expect_weights_kept(probe["layer_weights"], weights, call)
    expect_close(
        got,
        expected,
        call,
        "the output at each sequence's end",
        "every group must start from zeros, and nothing may reset inside a group",
        atol=ORACLE_ATOL,
    )


# -- every stateful layer Keras has, nested models, several steps per execution (issue 16) --------
def rs(layer, units, **config):
    """A stateful recurrent layer of the judge's spec."""
    return [layer, {"units": units, "stateful": True, **config}]


DENSE = ["Dense", {"units": 1, "activation": "sigmoid"}]
NESTED_GRU = ["Sequential", {"layers": [rs("GRU", 4, return_sequences=True)]}]
NESTED_LAST_GRU = ["Sequential", {"layers": [rs("GRU", 4)]}]


@exercise(MODULE, points=2)
@pytest.mark.parametrize(
    "layers, functional, side",
    [
        ([rs("GRU", 3), DENSE], False, False),
        ([rs("SimpleRNN", 3), DENSE], False, False),
        (
            [rs("LSTM", 4, return_sequences=True), rs("GRU", 3, return_sequences=True)]
            + [rs("SimpleRNN", 2), DENSE],
            False,
            False,
        ),
        ([NESTED_GRU, rs("SimpleRNN", 3), DENSE], True, False),
        ([rs("LSTM", 3), DENSE], True, True),
    ],
    ids=["gru", "simple-rnn", "lstm-gru-simple-rnn", "functional-nesting", "lookup-layer"],
)
def test_reset_states_resets_every_kind_of_stateful_layer(target, layers, functional, side):
    # GRU and SimpleRNN are stateful layers too; a Sequential may sit inside a functional model;
    # a Discretization layer has reset_state() but is not stateful: it is neither reset nor
    # counted. Call twice, reset, call again: the judge's output from a zero state.
    x = np.random.default_rng(5).random((2, 4, 1))
    judged = spec(2, 4, 1, layers)
    weights = spec_weights(judged, seed=22)
    probe = target.scenario(
        "reset_states_probe", with_weights(judged, weights), x, functional=functional, side=side
    )
    kinds = [name for name, _ in layers if name != "Dense"]
    model = (
        ("functional model" if functional else "Sequential")
        + f" of {kinds}"
        + (" beside a Discretization layer" if side else "")
    )
    call = called("reset_states", f"<{model}>")
    expect_weights_kept(probe["layer_weights"], weights, call)
    expected = spec_forward(judged, weights, x)
    expect_close(probe["first"], expected, call, "the first output", atol=ORACLE_ATOL)
    count = stateful_count(judged)
    if probe["count"] != count:
        hint = "count the layers whose .stateful is true (GRU and SimpleRNN too)"
        if side and probe["count"] == count + 1:
            hint = "a layer with reset_state() is not stateful unless its .stateful is true"
        elif functional:
            hint += "; a model used as a layer has layers of its own: walk them too"
        fail(call, f"it returned {probe['count']!r}", f"{count}, the number of layers reset", hint)
    for i, states in enumerate(probe["after"]):
        if any(np.any(s) for s in states):
            fail(
                call,
                f"stateful layer {i} still held a non-zero state",
                "all states zero",
                "call layer.reset_state() on every layer whose .stateful is true, whatever its "
                "class",
            )
    expect_close(
        probe["after_reset"],
        expected,
        call,
        "the output after the reset",
        "after a reset the model must answer as it did from a fresh start",
        atol=ORACLE_ATOL,
    )


@pytest.mark.needs_stateful("backprop")
@exercise(MODULE, points=2)
@pytest.mark.parametrize(
    "every, steps, per_execution, layers, functional, phases",
    [
        (4, 8, 2, [rs("GRU", 3, return_sequences=True), rs("SimpleRNN", 2), DENSE], 0, ["fit"]),
        (3, 7, 3, [NESTED_GRU, rs("LSTM", 3), DENSE], 1, ["evaluate"]),
    ],
    ids=["gru-simple-rnn-2-steps-per-execution", "nested-3-steps-per-execution"],
)
def test_reset_callback_uses_the_batch_index_keras_passes(
    target, every, steps, per_execution, layers, functional, phases
):
    # With compile(steps_per_execution=k) Keras calls the batch hooks once per k batches, with the
    # index of the first: the callback resets where that index is a multiple of `batches` (a
    # count of its own calls is not the batch index). And it resets every stateful layer. (One
    # phase a case, to keep it cheap: predict with steps_per_execution is the next test's.)
    x = np.random.default_rng(6).random((2 * steps, 3, 1))
    y = np.zeros(2 * steps)
    judged = spec(2, 3, 1, layers)
    probe = target.scenario(
        "reset_callback_probe",
        every,
        judged,
        x,
        y,
        epochs=1,
        steps_per_execution=per_execution,
        functional=functional,
        phases=phases,
    )
    starts = list(range(0, steps, per_execution))
    expected = [b for b in starts if b % every == 0]
    call = called(f"ResetStatesEvery({every})") + (
        f" in {phases[0]}, {steps} batches, compiled with steps_per_execution={per_execution}"
    )
    for phase in phases:
        seen = [b[1] if phase == "fit" else b for b in probe["seen"][phase]]
        if seen != starts:
            pytest.fail(
                f"the judge's probe expected Keras to call the batch hooks at {starts} in "
                f"{phase}, it called them at {seen}",
                pytrace=False,
            )
        got = [b[1] if phase == "fit" else b for b in probe["resets"][phase]]
        if got != expected:
            fail(
                call,
                f"in {phase} it reset before batches {got}",
                f"before {expected}",
                "reset when the batch index Keras passes (not a count of calls) is a multiple "
                "of batches, and reset every stateful layer, whatever its class: "
                "reset_states(self.model)",
            )


@pytest.mark.needs_stateful("carry", "backprop")  # "backprop": torch needs steps_per_execution 1
@exercise(MODULE, points=1)
@pytest.mark.parametrize(
    "batch_size, chunk, per_execution, layers, functional",
    [(2, 3, 2, None, False), (3, 2, 3, [NESTED_LAST_GRU, DENSE], True)],
    ids=["lstm-2-steps-per-execution", "nested-gru-3-steps-per-execution"],
)
def test_reset_callback_gives_the_stateless_output_with_several_steps_per_execution(
    target, batch_size, chunk, per_execution, layers, functional
):
    # The judge's layout of 6 sequences of 6 steps, predicted with steps_per_execution = k: the
    # output at each sequence's end is the judge's output for the whole sequence from zeros.
    n, length = 6, 6
    X = np.random.default_rng(7).random((n, length, 1))
    chunks, groups = length // chunk, n // batch_size
    xs = (
        X.reshape(groups, batch_size, chunks, chunk, 1)
        .transpose(0, 2, 1, 3, 4)
        .reshape(-1, chunk, 1)
    )
    judged = spec(batch_size, chunk, 1, layers)
    weights = spec_weights(judged, seed=32)
    probe = target.scenario(
        "stateful_pass_probe",
        chunks,
        with_weights(judged, weights),
        xs,
        batch_size,
        steps_per_execution=per_execution,
        functional=functional,
    )
    last = [
        g * chunks * batch_size + (chunks - 1) * batch_size + b
        for g in range(groups)
        for b in range(batch_size)
    ]
    got = np.asarray(probe["predictions"]).reshape(-1)[last]
    call = called(f"ResetStatesEvery({chunks})") + (
        f" while predicting 6 sequences of 6 steps, batch size {batch_size}, chunk {chunk}, "
        f"steps_per_execution={per_execution}"
    )
    expect_weights_kept(probe["layer_weights"], weights, call)
    expect_close(
        got,
        spec_forward(judged, weights, X).reshape(-1),
        call,
        "the output at each sequence's end",
        "every group must start from zeros: reset where the batch index Keras passes is a "
        "multiple of batches",
        atol=ORACLE_ATOL,
    )
