"""Mistake: ``train_stateless`` trains on the training and the validation sequences together
("more data"), and still validates on the validation windows, which it has now seen."""

import numpy as np

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = ["test_train_stateless_trains_on_the_training_windows_only"]
SLOW = True

_honest_train_stateless = train_stateless  # noqa: F821 - the reference's, above


def train_stateless(X_train, y_train, X_val, y_val, **kwargs):
    X_all = np.concatenate([np.asarray(X_train), np.asarray(X_val)])
    y_all = np.concatenate([np.asarray(y_train), np.asarray(y_val)])
    return _honest_train_stateless(X_all, y_all, X_val, y_val, **kwargs)
