"""Mistake: the split is always drawn with ``random_state=0``: the ``seed`` argument is ignored,
so every seed gives the same validation sequences."""

from lstm_lab import checks
from lstm_lab.data import split_sequences

from .ex02_windows import _window, sliding_windows

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_window_dataset_seeds_choose_the_split"]
SLOW = False


def window_dataset(X, y, window, val_fraction=0.1, seed=0):
    X = checks.sequences(X)
    y = checks.labels(y, len(X))
    _window(window, X.shape[1])
    X_train, X_val, y_train, y_val = split_sequences(X, y, val_fraction=val_fraction, seed=0)
    Xw_train, yw_train = sliding_windows(X_train, y_train, window)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    return Xw_train, Xw_val, yw_train, yw_val
