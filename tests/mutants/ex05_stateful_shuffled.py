"""Mistake: ``fit`` left to shuffle (its default): every sequence's chunks are scattered.

(Default ``epochs`` cut to 2: the mistake shows in the first epoch, and the self-test stays quick.)
"""

import numpy as np

from lstm_lab import TrainResult
from lstm_lab.models import SequenceValidation, set_seed

from .ex03_labels import stateful_batches
from .ex04_stateful import ResetStatesEvery, build_stateful_classifier
from .ex05_training import _history

MODULE = "ex05_training"
KIND = "mistake"
CATCHES = ["test_train_stateful_feeds_in_order_and_resets_at_sequence_starts[1-10]"]
SLOW = True


def train_stateful(
    X_train, y_train, X_val, y_val, *, batch_size, chunk=1, units=8, epochs=2, seed=0
):
    X_train = np.asarray(X_train, dtype=np.float32)
    Xs, ys = stateful_batches(X_train, y_train, batch_size, chunk)
    set_seed(seed)
    model = build_stateful_classifier(batch_size, chunk, units, X_train.shape[2])
    history = model.fit(
        Xs,
        ys.astype(np.float32),
        batch_size=batch_size,
        epochs=epochs,
        verbose=0,
        callbacks=[ResetStatesEvery(X_train.shape[1] // chunk), SequenceValidation(X_val, y_val)],
    )
    return TrainResult(model=model, history=_history(history.history))
