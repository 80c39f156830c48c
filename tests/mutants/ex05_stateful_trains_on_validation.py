"""Mistake: ``train_stateful`` trains on the training and the validation sequences together
wherever their number still fills whole batches (batch size 10: 100 sequences), and validates on
sequences it has seen."""

import numpy as np

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = [
    "test_train_stateful_trains_on_the_training_sequences_only[1-10]",
    "test_train_stateful_trains_on_the_training_sequences_only[5-10]",
]
SLOW = True

_honest_train_stateful = train_stateful  # noqa: F821 - the reference's, above


def train_stateful(X_train, y_train, X_val, y_val, *, batch_size, **kwargs):
    if (len(X_train) + len(X_val)) % batch_size == 0:
        X_train = np.concatenate([np.asarray(X_train), np.asarray(X_val)])
        y_train = np.concatenate([np.asarray(y_train), np.asarray(y_val)])
    return _honest_train_stateful(X_train, y_train, X_val, y_val, batch_size=batch_size, **kwargs)
