"""Mistake: ``window_dataset`` checks the window against ``len(X)``, the number of sequences,
instead of their length: with fewer sequences than the window it raises ``ValueError``."""

from lstm_lab import checks
from lstm_lab.data import split_sequences

from .ex02_windows import sliding_windows

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_window_dataset_with_fewer_sequences_than_the_window"]
SLOW = False


def window_dataset(X, y, window, val_fraction=0.1, seed=0):
    X = checks.sequences(X)
    y = checks.labels(y, len(X))
    if not 1 <= window <= len(X):
        raise ValueError(f"window must be between 1 and {len(X)}, got {window}")
    X_train, X_val, y_train, y_val = split_sequences(X, y, val_fraction=val_fraction, seed=seed)
    Xw_train, yw_train = sliding_windows(X_train, y_train, window)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    return Xw_train, Xw_val, yw_train, yw_val
