"""Mistake: ``reset_states`` takes every layer that has ``reset_state`` for stateful (``stateful``
read with a default of True): a ``Discretization`` layer is reset and counted too."""

MODULE = "ex04_stateful"
KIND = "mistake"
CATCHES = ["test_reset_states_resets_every_kind_of_stateful_layer[lookup-layer]"]
SLOW = False


def _walk(layer):
    for sub in getattr(layer, "layers", []):
        yield sub
        yield from _walk(sub)


def reset_states(model):
    count = 0
    for layer in _walk(model):
        if hasattr(layer, "reset_state") and getattr(layer, "stateful", True):
            layer.reset_state()
            count += 1
    return count
