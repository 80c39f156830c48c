"""Mistake: the callback resets the first stateful layer it finds (walking nested models) rather
than every one: a model with two stateful layers keeps the second's state."""

import keras

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = [
    "test_reset_callback_uses_the_batch_index_keras_passes[gru-simple-rnn-2-steps-per-execution]",
    "test_reset_callback_uses_the_batch_index_keras_passes[nested-3-steps-per-execution]",
]
SLOW = False


def _walk(layer):
    for sub in getattr(layer, "layers", []):
        yield sub
        yield from _walk(sub)


class ResetStatesEvery(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
            raise ValueError(f"batches must be a positive whole number, got {batches!r}")
        self.batches = batches

    def _begin(self, batch, logs=None):
        if batch % self.batches == 0:
            layer = next(lay for lay in _walk(self.model) if getattr(lay, "stateful", False))
            layer.reset_state()

    on_train_batch_begin = on_test_batch_begin = on_predict_batch_begin = _begin
