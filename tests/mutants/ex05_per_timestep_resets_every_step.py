"""Mistake: the explicit loop resets the state after every timestep, not after every sequence.

(Default ``epochs`` cut to 1: the mistake shows in the first epoch, and the self-test stays quick.)
"""

import numpy as np

from lstm_lab import TrainResult, oracle
from lstm_lab.models import set_seed, stateless_twin

from .ex03_labels import expand_labels
from .ex04_stateful import build_stateful_classifier, reset_states

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = ["test_train_per_timestep_resets_after_every_sequence"]
SLOW = True


def train_per_timestep(X_train, y_train, X_val, y_val, *, units=8, epochs=1, seed=0):
    X_train = np.asarray(X_train, dtype=np.float32)
    n, length, features = X_train.shape
    labels = expand_labels(y_train, length).astype(np.float32).reshape(-1, 1, 1)
    set_seed(seed)
    model = build_stateful_classifier(1, 1, units, features)
    twin = stateless_twin(model)
    history = {key: [] for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    for _ in range(epochs):
        results = []
        for i in range(n):
            for t in range(length):
                results.append(
                    model.train_on_batch(X_train[i : i + 1, t : t + 1], labels[i * length + t])
                )
                reset_states(model)
        twin.set_weights(model.get_weights())
        p = np.asarray(twin.predict_on_batch(X_val)).reshape(-1)
        history["loss"].append(float(np.mean([r[0] for r in results])))
        history["accuracy"].append(float(np.mean([r[1] for r in results])))
        history["val_loss"].append(oracle.binary_crossentropy(y_val, p))
        history["val_accuracy"].append(oracle.accuracy(y_val, p))
    return TrainResult(model=model, history=history)
