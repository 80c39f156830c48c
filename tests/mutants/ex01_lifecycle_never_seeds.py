"""Mistake: ``run_lifecycle`` never seeds: two runs with one seed start from other weights."""

import numpy as np

from lstm_lab import Lifecycle

from .ex01_lifecycle import build_regressor, to_supervised

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = ["test_run_lifecycle_honours_units_and_seed"]
SLOW = False


def run_lifecycle(series, *, lag=1, units=10, epochs=600, optimizer="adam", seed=0):
    X, y = to_supervised(series, lag)
    model = build_regressor(lag, units)
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(X, y, epochs=epochs, batch_size=1, shuffle=False, verbose=0)
    return Lifecycle(
        model=model,
        history=history.history,
        loss=float(model.evaluate(X, y, verbose=0)),
        predictions=np.asarray(model.predict(X, verbose=0)).reshape(-1),
    )
