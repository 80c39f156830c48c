"""Mistake: ``ResetStatesEvery`` resets in training only: evaluation and prediction read on
from whatever state the last group left.
"""

import keras

from .ex04_stateful import reset_states

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = [
    "test_reset_callback_resets_before_each_group",
    "test_reset_callback_gives_the_stateless_output_at_each_sequence_end",
]
SLOW = False


class ResetStatesEvery(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_train_batch_begin(self, batch, logs=None):
        if batch % self.batches == 0:
            reset_states(self.model)
