"""Mistake: ``ResetStatesEvery`` resets *after* the last batch of each group (in
``on_*_batch_end``): the very first group starts from whatever state the model had.
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

    def _after(self, batch, logs=None):
        if (batch + 1) % self.batches == 0:
            reset_states(self.model)

    on_train_batch_end = on_test_batch_end = on_predict_batch_end = _after
