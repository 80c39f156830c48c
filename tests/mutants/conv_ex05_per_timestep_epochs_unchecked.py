"""Mistake: ``train_per_timestep`` trusts ``epochs``: with 0 or -1 its loop runs no epoch and it
returns an untrained model with an empty history instead of refusing.
"""

import keras
import numpy as np

from lstm_lab import TrainResult
from lstm_lab.models import (
    StopWhenConverged,
    balanced_order,
    sequence_metrics,
    set_seed,
    stateless_twin,
)
from lstm_lab.results import HISTORY_KEYS

from .ex03_labels import expand_labels
from .ex04_stateful import build_stateful_classifier, reset_states
from .ex05_training import (
    PER_TIMESTEP_EPOCHS,
    SINGLE_SEQUENCE_LEARNING_RATE,
    _check_split,
    _optimizer,
)

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = [
    "test_train_per_timestep_refuses_bad_input_by_name[epochs-0]",
    "test_train_per_timestep_refuses_bad_input_by_name[epochs-negative]",
]
SLOW = False


def train_per_timestep(
    X_train, y_train, X_val, y_val, *, units=8, epochs=PER_TIMESTEP_EPOCHS, seed=0
):
    X_train, y_train, X_val, y_val = _check_split(X_train, y_train, X_val, y_val)
    order = balanced_order(y_train)
    X_train, y_train = X_train[order], y_train[order]
    n, length, features = X_train.shape
    # Call k feeds timestep k % L of sequence k // L: inputs of shape (1, 1, f), labels (1, 1),
    # made tensors once here rather than converted from NumPy on each of the n * L calls.
    inputs = keras.ops.unstack(
        keras.ops.convert_to_tensor(X_train.reshape(n * length, 1, 1, features))
    )
    labels = expand_labels(y_train, length).astype(np.float32).reshape(n * length, 1, 1)
    labels = keras.ops.unstack(keras.ops.convert_to_tensor(labels))
    set_seed(seed)
    model = build_stateful_classifier(1, 1, units, features, SINGLE_SEQUENCE_LEARNING_RATE)
    model.compile(
        optimizer=_optimizer(1),  # exactly the updates of fit at batch size 1, chunk 1
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    twin = stateless_twin(model)
    history = {key: [] for key in HISTORY_KEYS}
    stop = StopWhenConverged()
    calls = np.empty((n * length, 2))  # the loss and accuracy of every call of an epoch
    for _ in range(epochs):
        for i in range(n):
            for k in range(i * length, (i + 1) * length):
                calls[k] = model.train_on_batch(inputs[k], labels[k])
            reset_states(model)
        twin.set_weights(model.get_weights())
        val_loss, val_accuracy = sequence_metrics(twin, X_val, y_val)
        logs = {
            "loss": float(calls[:, 0].mean()),
            "accuracy": float(calls[:, 1].mean()),
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
        }
        for key, value in logs.items():
            history[key].append(value)
        if stop.converged(logs):
            break
    return TrainResult(model=model, history=history)
