"""Mistake: the callback counts the batches itself (a counter set to 0 when each epoch,
evaluation or prediction begins, one more per hook call) instead of using the index Keras
passes: right at ``steps_per_execution=1``, wrong when Keras runs several batches per call."""

import keras

from .ex04_stateful import reset_states

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = [
    "test_reset_callback_uses_the_batch_index_keras_passes",
    "test_reset_callback_gives_the_stateless_output_with_several_steps_per_execution",
]
SLOW = False


class ResetStatesEvery(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
            raise ValueError(f"batches must be a positive whole number, got {batches!r}")
        self.batches = batches
        self.count = 0

    def _start(self, *args, **kwargs):
        self.count = 0

    on_epoch_begin = on_test_begin = on_predict_begin = _start

    def _step(self, batch, logs=None):
        if self.count % self.batches == 0:
            reset_states(self.model)
        self.count += 1

    on_train_batch_begin = on_test_batch_begin = on_predict_batch_begin = _step
