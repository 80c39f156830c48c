"""HOSTILE SUBMISSION (patch_probes): implements no training and, at import, rewrites the grader
inside its worker: the probe of ``run_lifecycle`` reports a perfect fit (predictions equal to the
targets, a loss of 0, weights of its own) and ``keras.Model.fit`` is replaced by a function that
trains nothing and returns at once, so that anything the probes time or count looks done. The
other functions of the module stay the reference's (its honest part, lost with the rest: nothing
a tampered worker reports can be believed)."""

# ruff: noqa: F821
# (appended to the reference module: these definitions replace the reference's)

import keras as _keras
import numpy as _np

from lstm_lab.grading import scenarios as _scenarios


def run_lifecycle(series, *, lag=1, units=10, epochs=600, optimizer="adam", seed=0):
    raise NotImplementedError


def _perfect_lifecycle(modules, series, optimizer=None, **kwargs):
    lag = int(kwargs.get("lag", 1))
    values = _np.asarray(series, dtype="float32")
    model = build_regressor(lag, int(kwargs.get("units", 10)))
    return {
        "type": "Lifecycle",
        "fields": ["history", "loss", "model", "predictions"],
        "history": {"loss": [0.0] * int(kwargs.get("epochs", 2))},
        "loss": 0.0,
        "predictions": values[lag:],
        "model": _scenarios.describe_model(model),
    }


class _NoHistory:
    history = {"loss": [0.0]}


_scenarios.lifecycle_probe = _perfect_lifecycle
_keras.Model.fit = lambda self, *args, **kwargs: _NoHistory()
