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
    args = dict(batch_size=10, chunk=5, units=6, features=2, learning_rate=0.02)
    return lambda: shared(
        ("classifier", 10, 5, 6, 2), lambda: target.scenario("stateful_classifier_probe", **args)
    ), args


@exercise(MODULE, points=2)
def test_build_stateful_classifier_layers_and_batch_shape(classifier):
    probe, args = classifier
    model = probe()
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


@exercise(MODULE, points=1)
def test_build_stateful_classifier_is_compiled_for_binary_classification(classifier):
    probe, args = classifier
    model = probe()
    call = called("build_stateful_classifier", **args)
    optimizer = model["optimizer"] or {}
    if not model["compiled"] or optimizer.get("class") != "Adam":
        fail(call, f"the optimizer was {optimizer.get('class')}", "a model compiled with Adam")
    if not np.isclose(optimizer.get("learning_rate", -1), 0.02, rtol=1e-5):
        fail(
            call,
            f"the learning rate was {optimizer.get('learning_rate')}",
            "0.02",
            "Adam(learning_rate=learning_rate); Keras 3 has no lr=",
        )
    if "binary_crossentropy" not in str(model["loss"]).lower().replace(" ", "_"):
        fail(call, f"the loss was {model['loss']!r}", "binary cross-entropy")
    if not any("acc" in m for m in model["metrics"]):
        fail(call, f"the metrics were {model['metrics']}", "['accuracy']")


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
