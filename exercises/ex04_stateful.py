"""Exercise 4: a stateful LSTM in Keras 3, and resetting its state at sequence boundaries."""
# Generated from solutions/ by `lstm-lab stubs`; edit the solution's docstring instead.

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
    raise NotImplementedError(
        "ex04_stateful.build_stateful_classifier: not implemented yet (see its docstring)"
    )


def reset_states(model):
    """Reset every stateful layer of ``model`` to zeros; return how many layers were reset.

    Notes
    -----
    Keras 2 → 3: ``Model.reset_states()`` is gone. Each stateful recurrent layer has
    ``reset_state()`` (singular); walk the layers (nested models too) and call it where
    ``layer.stateful`` is true.
    """
    raise NotImplementedError(
        "ex04_stateful.reset_states: not implemented yet (see its docstring)"
    )


class ResetStatesEvery(keras.callbacks.Callback):
    """Reset the model's states before every batch whose index is a multiple of ``batches``.

    In training, evaluation and prediction alike, so that every group of sequences starts from
    zeros. With the layout of ``stateful_batches`` a group spans ``L // chunk`` batches.

    Pitfalls: resetting after every batch throws the memory away; resetting only in training
    leaves evaluation and prediction reading the last group's state.
    """

    def __init__(self, batches):
        raise NotImplementedError(
            "ex04_stateful.ResetStatesEvery.__init__: not implemented yet (see its docstring)"
        )

    def on_train_batch_begin(self, batch, logs=None):
        raise NotImplementedError(
            "ex04_stateful.ResetStatesEvery.on_train_batch_begin: not implemented yet (see its docstring)"
        )

    def on_test_batch_begin(self, batch, logs=None):
        raise NotImplementedError(
            "ex04_stateful.ResetStatesEvery.on_test_batch_begin: not implemented yet (see its docstring)"
        )

    def on_predict_batch_begin(self, batch, logs=None):
        raise NotImplementedError(
            "ex04_stateful.ResetStatesEvery.on_predict_batch_begin: not implemented yet (see its docstring)"
        )
