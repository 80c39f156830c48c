"""Variant: one ``_reset_if_due`` hook bound to all three phases, and ``reset_states`` that walks
the layers with an explicit stack and counts with ``sum``.
"""

import keras

MODULE = "ex04_stateful"
KIND = "variant"
CATCHES = []
SLOW = False


def reset_states(model):
    stack, stateful = list(model.layers), []
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        if isinstance(layer, keras.layers.RNN) and layer.stateful:
            stateful.append(layer)
    for layer in stateful:
        layer.reset_states()
    return sum(1 for _ in stateful)


class ResetStatesEvery(keras.callbacks.Callback):
    def __init__(self, batches):
        super().__init__()
        if int(batches) != batches or batches < 1:
            raise ValueError(f"batches must be a positive integer, got {batches!r}")
        self.batches = int(batches)

    def _reset_if_due(self, batch, logs=None):
        if batch % self.batches == 0:
            reset_states(self.model)

    on_train_batch_begin = on_test_batch_begin = on_predict_batch_begin = _reset_if_due
