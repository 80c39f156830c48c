"""Mistake: ``reset_states`` resets the right layers but returns how many layers the model has."""

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_reset_states_zeroes_every_stateful_layer"]
SLOW = False


def reset_states(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
    return len(model.layers)
