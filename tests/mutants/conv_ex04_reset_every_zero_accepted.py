"""Mistake: ``ResetStatesEvery`` takes any ``batches``, 0 and negative included.

Nothing fails when the callback is built; ``batch % 0`` only blows up inside ``fit``, far from
the cause. "Sizes are positive" holds for constructors too.
"""

import keras

from .ex04_stateful import reset_states

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_ResetStatesEvery_refuses_bad_input_by_name"]
SLOW = False


class ResetStatesEvery(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def _maybe_reset(self, batch):
        if batch % self.batches == 0:
            reset_states(self.model)

    def on_train_batch_begin(self, batch, logs=None):
        self._maybe_reset(batch)

    def on_test_batch_begin(self, batch, logs=None):
        self._maybe_reset(batch)

    def on_predict_batch_begin(self, batch, logs=None):
        self._maybe_reset(batch)
