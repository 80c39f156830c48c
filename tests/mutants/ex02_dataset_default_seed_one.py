"""Mistake: ``seed`` defaults to 1 instead of the contract's 0 (and ``val_fraction`` to 0.2): a
caller that relies on the defaults gets another split."""

from lstm_lab import checks
from lstm_lab.data import split_sequences

from .ex02_windows import _window, sliding_windows

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_window_dataset_defaults_are_a_tenth_and_seed_0"]
SLOW = False


def window_dataset(X, y, window, val_fraction=0.2, seed=1):
    X = checks.sequences(X)
    y = checks.labels(y, len(X))
    _window(window, X.shape[1])
    X_train, X_val, y_train, y_val = split_sequences(X, y, val_fraction=val_fraction, seed=seed)
    Xw_train, yw_train = sliding_windows(X_train, y_train, window)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    return Xw_train, Xw_val, yw_train, yw_val
