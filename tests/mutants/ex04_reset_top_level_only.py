"""Mistake: ``reset_states`` looks at ``model.layers`` only: a stateful layer inside a nested
model (a ``Sequential`` used as a layer) keeps its state.
"""

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_reset_states_zeroes_every_stateful_layer[nested-model]"]
SLOW = False


def reset_states(model):
    count = 0
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
            count += 1
    return count
