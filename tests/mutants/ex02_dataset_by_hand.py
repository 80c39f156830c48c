"""Variant: the stratified split written by hand with ``np.random.default_rng(seed)``: the
validation side takes ``ceil(val_fraction * n)`` sequences, each label its share rounded down
or up (largest remainders first), drawn without replacement; the sides are windowed after."""

import numpy as np

from lstm_lab import checks

from .ex02_windows import _window, sliding_windows

MODULE = "ex02_windows"
KIND = "variant"
CATCHES = []
SLOW = False


def window_dataset(X, y, window, val_fraction=0.1, seed=0):
    X = checks.sequences(X)
    n = len(X)
    y = checks.labels(y, n)
    _window(window, X.shape[1])
    val_fraction = checks.fraction(val_fraction, "val_fraction")
    n_val = int(np.ceil(val_fraction * n))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    share = n_val * counts / n
    take = np.floor(share).astype(int)
    order = np.argsort(-(share - take), kind="stable")
    take[order[: n_val - take.sum()]] += 1
    val = np.concatenate(
        [rng.choice(np.flatnonzero(y == c), size=k, replace=False) for c, k in zip(classes, take)]
    )
    val = rng.permutation(val)
    train = rng.permutation(np.setdiff1d(np.arange(n), val))
    Xw_train, yw_train = sliding_windows(X[train], y[train], window)
    Xw_val, yw_val = sliding_windows(X[val], y[val], window)
    return Xw_train, Xw_val, yw_train, yw_val
