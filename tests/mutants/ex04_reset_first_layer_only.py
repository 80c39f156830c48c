"""Mistake: ``reset_states`` stops at the first stateful layer (a ``break`` too many)."""

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_reset_states_zeroes_every_stateful_layer[two-stateful]"]
SLOW = False


def reset_states(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
            return 1
    return 0
