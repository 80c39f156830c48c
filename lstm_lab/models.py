"""Keras plumbing the exercises share: seeding, ordering, stateless twins, validation, stopping.

None of this is an exercise: it is the scaffolding around them. This module imports Keras.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from . import checks, oracle  # noqa: E402

#: The convergence threshold of the echo task: whole validation sequences, all right, confidently.
CONVERGED_ACCURACY, CONVERGED_LOSS = 1.0, 0.05


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and the backend, and ask TensorFlow for deterministic ops."""
    keras.utils.set_random_seed(int(seed))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.experimental.enable_op_determinism()
        except Exception:  # pragma: no cover - older TF without the switch
            pass


def balanced_order(y) -> np.ndarray:
    """An order of the samples that spreads every class evenly, for training without shuffling.

    Sample ``k`` of a class of ``m`` gets the key ``(k + 0.5) / m``; sorting by key (stably)
    interleaves the classes in proportion, so every run of consecutive samples has close to the
    class mix of the whole: with 45 sequences of each label, the order alternates them, and every
    group of 10 holds exactly 5 of each. The order within each class is kept.

    Why it matters: a stateful layout trains on one group of sequences for ``L // chunk``
    consecutive updates. When groups differ in their label mix, the output's bias can lower the
    loss by following each group's mix, a shortcut that needs no memory and that stalls the real
    learning (on seed 9 of the echo data, batch 10, chunk 1, Adam 0.01: validation accuracy 0.5
    after 150 epochs in the given order, 1.0 after 5 epochs in this one).

    Returns
    -------
    np.ndarray of int, shape (n,)
        Indices into ``y``: ``X[order], y[order]`` is the reordered data.
    """
    y = np.asarray(y).reshape(-1)
    keys = np.empty(len(y), dtype=np.float64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        keys[members] = (np.arange(len(members)) + 0.5) / len(members)
    return np.argsort(keys, kind="stable")


def stateless_twin(model: keras.Model) -> keras.Model:
    """A stateless copy of a chain of layers, taking sequences of any length from a zero state.

    ``model`` is a ``Sequential`` (or any chain) whose first layer after the input is recurrent,
    stateful or not. The twin has input ``(None, None, features)``, the same layers with
    ``stateful=False``, and the same weights (copied now; copy again with
    ``twin.set_weights(model.get_weights())`` after more training).
    """
    features = model.inputs[0].shape[-1]
    inputs = keras.Input(shape=(None, features))
    x = inputs
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        config = layer.get_config()
        if "stateful" in config:
            config["stateful"] = False
        x = layer.__class__.from_config(config)(x)
    twin = keras.Model(inputs, x, name=f"{model.name}_stateless_twin")
    twin.set_weights(model.get_weights())
    return twin


def sequence_metrics(twin: keras.Model, X, y) -> tuple[float, float]:
    """Binary cross-entropy and accuracy of ``twin`` on whole sequences ``X`` with labels ``y``."""
    p = np.asarray(twin.predict_on_batch(checks.sequences(X))).reshape(-1)
    return oracle.binary_crossentropy(y, p), oracle.accuracy(y, p)


class SequenceValidation(keras.callbacks.Callback):
    """Validate a (stateful) model on whole sequences after every epoch.

    After each epoch the model's weights are copied into a stateless twin, which reads each
    validation sequence from a zero state; its output after the last timestep gives ``val_loss``
    (binary cross-entropy) and ``val_accuracy``, written into the epoch's logs so that
    ``History`` records them beside ``loss`` and ``accuracy``.

    It serves stateless models too (the twin is then a plain copy), and any "sequences": the
    validation windows of a windowed model are validated window by window. One traced
    ``predict_on_batch`` an epoch costs a few milliseconds, where ``fit(validation_data=...)``
    runs a whole ``evaluate`` (tens of milliseconds an epoch on 2 CPU cores).
    """

    def __init__(self, X_val, y_val):
        super().__init__()
        self.X_val = checks.sequences(X_val, "X_val")
        self.y_val = checks.labels(y_val, len(self.X_val), "y_val")
        self._twin = None

    def evaluate(self) -> tuple[float, float]:
        """``(val_loss, val_accuracy)`` of the model as it is now."""
        if self._twin is None:
            self._twin = stateless_twin(self.model)
        else:
            self._twin.set_weights(self.model.get_weights())
        return sequence_metrics(self._twin, self.X_val, self.y_val)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs["val_loss"], logs["val_accuracy"] = self.evaluate()


class StopWhenConverged(keras.callbacks.Callback):
    """Stop training after the first epoch whose validation meets the echo task's threshold.

    Reads ``val_accuracy`` and ``val_loss`` from the epoch's logs (put there by
    ``SequenceValidation``, listed before this callback).
    """

    def __init__(self, accuracy: float = CONVERGED_ACCURACY, loss: float = CONVERGED_LOSS):
        super().__init__()
        self.accuracy, self.loss = accuracy, loss
        self.converged_epoch: int | None = None

    def converged(self, logs) -> bool:
        return (
            logs is not None
            and logs.get("val_accuracy", 0.0) >= self.accuracy
            and logs.get("val_loss", np.inf) <= self.loss
        )

    def on_epoch_end(self, epoch, logs=None):
        if self.converged(logs):
            self.converged_epoch = epoch
            self.model.stop_training = True


class StopAtLoss(keras.callbacks.Callback):
    """Stop training after the first epoch whose training ``loss`` is at most ``threshold``."""

    def __init__(self, threshold: float):
        super().__init__()
        self.threshold = float(threshold)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None and logs.get("loss", np.inf) <= self.threshold:
            self.model.stop_training = True
