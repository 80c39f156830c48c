"""Mistake: ``reset_states`` counts every recurrent layer, stateless ones included.

``reset_state()`` on a stateless LSTM does nothing, but it is counted as a reset.
"""

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_reset_states_zeroes_every_stateful_layer[stateless-then-stateful]"]
SLOW = False


def reset_states(model):
    count = 0
    for layer in model.layers:
        if hasattr(layer, "reset_state"):
            layer.reset_state()
            count += 1
    return count
