"""Mistake: ``ResetStatesEvery`` resets once per epoch, as the classic Keras 2 loops did
(``model.reset_states()`` after each ``fit(epochs=1)``): every group but the first starts from the
state the previous one left, and evaluation and prediction are never reset.
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

    def on_epoch_begin(self, epoch, logs=None):
        reset_states(self.model)
