"""Mistake: ``ResetStatesEvery`` resets before every batch, ignoring ``batches``.

The state never carries from one chunk to the next: the memory is thrown away.
"""

import keras

from .ex04_stateful import reset_states

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = [
    "test_reset_callback_resets_before_each_group[every-3]",
    "test_reset_callback_resets_before_each_group[once]",
    "test_reset_callback_resets_before_each_group[uneven]",
    "test_reset_callback_gives_the_stateless_output_at_each_sequence_end[1-1]",
    "test_reset_callback_gives_the_stateless_output_at_each_sequence_end[2-3]",
    "test_reset_callback_gives_the_stateless_output_at_each_sequence_end[3-2]",
]
SLOW = False


class ResetStatesEvery(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_train_batch_begin(self, batch, logs=None):
        reset_states(self.model)

    def on_test_batch_begin(self, batch, logs=None):
        reset_states(self.model)

    def on_predict_batch_begin(self, batch, logs=None):
        reset_states(self.model)
