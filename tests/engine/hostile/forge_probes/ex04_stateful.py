"""HOSTILE SUBMISSION (forge_probes): resets nothing, and rewrites the judge's probes inside its
worker so that they report what a correct reset would look like: states all zero, the count of
stateful layers read off the judge's spec, the judge's own weights sent back, and outputs that
agree with themselves (the same constant before and after the "reset"). The build function
stays the reference's (its honest part)."""

# ruff: noqa: F821
# (appended to the reference module: these definitions replace the reference's)

import keras as _keras
import numpy as _np

from lstm_lab.grading import scenarios as _scenarios


def reset_states(model):
    """Resets nothing."""
    return 0


class ResetStatesEvery(_keras.callbacks.Callback):
    """Resets nothing."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches


def _stateful(specs):
    count = 0
    for name, config in specs:
        if name == "Sequential":
            count += _stateful(config["layers"])
        elif config.get("stateful"):
            count += 1
    return count


def _sent(spec):
    flat = [_np.asarray(w) for w in spec.get("weights", [])]
    layers, i = [], 0
    for name, _config in spec["layers"]:
        take = 3 if name == "LSTM" else 2
        layers.append(flat[i : i + take])
        i += take
    return layers


def _forged_reset(modules, spec, x):
    n = len(x)
    out = _np.full((n, 1), 0.5, dtype="float32")
    zeros = [[_np.zeros((n, 3)), _np.zeros((n, 3))]] * _stateful(spec["layers"])
    return {
        "layer_weights": _sent(spec),
        "count": _stateful(spec["layers"]),
        "before": zeros,
        "after": zeros,
        "first": out,
        "second": out,
        "after_reset": out,
    }


def _forged_pass(modules, batches, spec, xs, batch_size):
    return {"predictions": _np.full((len(xs), 1), 0.5), "layer_weights": _sent(spec)}


_scenarios.reset_states_probe = _forged_reset
_scenarios.stateful_pass_probe = _forged_pass
