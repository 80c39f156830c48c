"""Exercise 4: a stateful LSTM in Keras 3, and resetting its state at sequence boundaries."""

from __future__ import annotations

import keras

from lstm_lab import checks


def build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
    """A compiled stateful classifier for the echo task.

    ``Input(batch_shape=(batch_size, chunk, features))``, ``LSTM(units, stateful=True)``,
    ``Dense(1, activation="sigmoid")``; compiled with ``Adam(learning_rate)``, binary
    cross-entropy, and ``"accuracy"``.

    Notes
    -----
    Keras 2 → 3: ``batch_input_shape=`` on the first layer is gone; a stateful layer needs a fixed
    batch size, given by ``keras.Input(batch_shape=(batch, timesteps, features))``. And
    ``Adam(lr=...)`` is ``Adam(learning_rate=...)``.
    """
    batch_size = checks.positive_int(batch_size, "batch_size")
    chunk = checks.positive_int(chunk, "chunk")
    units = checks.positive_int(units, "units")
    features = checks.positive_int(features, "features")
    model = keras.Sequential(
        [
            keras.Input(batch_shape=(batch_size, chunk, features)),
            keras.layers.LSTM(units, stateful=True),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _layers(layer):
    """Every layer inside ``layer`` (nested models included), depth first."""
    for sub in getattr(layer, "layers", []):
        yield sub
        yield from _layers(sub)


def reset_states(model):
    """Reset every stateful layer of ``model`` to zeros; return how many layers were reset.

    Notes
    -----
    Keras 2 → 3: ``Model.reset_states()`` is gone. Each stateful recurrent layer has
    ``reset_state()`` (singular); walk the layers (nested models too) and call it where
    ``layer.stateful`` is true.
    """
    count = 0
    for layer in _layers(model):
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
            layer.reset_state()
            count += 1
    return count


class ResetStatesEvery(keras.callbacks.Callback):
    """Reset the model's states before every batch whose index is a multiple of ``batches``.

    In training, evaluation and prediction alike, so that every group of sequences starts from
    zeros. With the layout of ``stateful_batches`` a group spans ``L // chunk`` batches.

    Pitfalls: resetting after every batch throws the memory away; resetting only in training
    leaves evaluation and prediction reading the last group's state.
    """

    def __init__(self, batches):
        super().__init__()
        self.batches = checks.positive_int(batches, "batches")

    def _maybe_reset(self, batch):
        if batch % self.batches == 0:
            reset_states(self.model)

    def on_train_batch_begin(self, batch, logs=None):
        self._maybe_reset(batch)

    def on_test_batch_begin(self, batch, logs=None):
        self._maybe_reset(batch)

    def on_predict_batch_begin(self, batch, logs=None):
        self._maybe_reset(batch)
