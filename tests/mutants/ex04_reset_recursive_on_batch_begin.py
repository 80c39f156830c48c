"""Variant: ``reset_states`` as a recursive function over ``model.layers`` (a layer is reset when
its ``stateful`` is true), and a callback that overrides ``on_batch_begin`` (which Keras's
``on_train_batch_begin`` calls) and the test and predict hooks, reading the batch index Keras
passes."""

import keras

MODULE = "ex04_stateful"
KIND = "variant"
CATCHES = []
SLOW = False


def reset_states(model):
    count = 0
    for layer in getattr(model, "layers", []):
        if getattr(layer, "stateful", False) is True:
            layer.reset_state()
            count += 1
        count += reset_states(layer)
    return count


class ResetStatesEvery(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
            raise ValueError(f"batches must be a positive whole number, got {batches!r}")
        self.batches = batches

    def on_batch_begin(self, batch, logs=None):
        if batch % self.batches == 0:
            reset_states(self.model)

    def on_test_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)
