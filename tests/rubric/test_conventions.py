"""The shared conventions of the contract: inputs are left alone, and a seed fixes the result."""

from __future__ import annotations

import numpy as np
import pytest
from support import called, fail

from lstm_lab.data import echo_sequences, echo_split, ramp

exercise = pytest.mark.exercise

X, Y = echo_sequences(6, 8, seed=11)
CALLS = [
    ("ex01_lifecycle", "to_supervised", (ramp(), 2)),
    ("ex01_lifecycle", "probabilities_to_classes", (np.array([[0.2, 0.8], [0.6, 0.4]]),)),
    ("ex02_windows", "sliding_windows", (X, Y, 3)),
    ("ex02_windows", "window_dataset", (X, Y, 3, 0.5, 0)),
    ("ex03_labels", "expand_labels", (Y, 3)),
    ("ex03_labels", "stateful_batches", (X, Y, 2, 4)),
]


@pytest.mark.parametrize(
    "module, function, args",
    [pytest.param(*c, marks=exercise(c[0], points=1), id=c[1]) for c in CALLS],
)
def test_function_leaves_its_input_alone(target, module, function, args):
    # "No function modifies its inputs": the arrays passed in are unchanged after the call.
    probe = target.scenario(
        "call_checking_inputs", module, function, *args, where=f"{module}.{function}"
    )
    if probe["modified"]:
        names = ", ".join(f"argument {i + 1}" for i in probe["modified"])
        fail(
            called(function, *args),
            f"it changed {names} in place",
            "inputs left as they were",
            "work on a copy (np.array(X, dtype=...) copies)",
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
