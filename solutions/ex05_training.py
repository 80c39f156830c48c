"""Exercise 5: training to convergence — stateless windows, stateful fit, truncated BPTT, and
the classic explicit loop.

Validation is always on whole validation sequences (except for the stateless trainer, whose
model only ever sees windows): the output after each sequence's last timestep, from a zero state.
``lstm_lab.models.SequenceValidation`` computes it with a stateless twin of the model.
"""

from __future__ import annotations

import keras
import numpy as np

from lstm_lab import TrainResult, checks, oracle
from lstm_lab.models import SequenceValidation, StopWhenConverged, set_seed, stateless_twin

from .ex02_windows import sliding_windows
from .ex03_labels import expand_labels, stateful_batches
from .ex04_stateful import ResetStatesEvery, build_stateful_classifier, reset_states

STATELESS_EPOCHS = 30
STATEFUL_EPOCHS = 150
PER_TIMESTEP_EPOCHS = 20
LEARNING_RATE = 0.01
#: The explicit loop makes one update per timestep: a larger step pays off there.
PER_TIMESTEP_LEARNING_RATE = 0.01


def _history(history):
    return {
        key: [float(v) for v in history.get(key, [])]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
    }


def _check_split(X_train, y_train, X_val, y_val):
    X_train = checks.sequences(X_train, "X_train")
    y_train = checks.labels(y_train, len(X_train), "y_train")
    X_val = checks.sequences(X_val, "X_val")
    y_val = checks.labels(y_val, len(X_val), "y_val")
    if X_train.shape[1:] != X_val.shape[1:]:
        raise ValueError(
            "X_train and X_val must have the same sequence length and features, got "
            f"{X_train.shape[1:]} and {X_val.shape[1:]}"
        )
    return X_train, y_train, X_val, y_val


def train_stateless(
    X_train, y_train, X_val, y_val, *, window, units=8, epochs=STATELESS_EPOCHS, seed=0
):
    """Train a stateless LSTM on sliding windows; validate on the validation windows.

    With ``window == L`` each window is a whole sequence and the task is solved; with
    ``window < L`` validation accuracy stays near ``stateless_ceiling(L, window)``.
    Stops early once the validation windows are all right with loss at most 0.05.
    """
    X_train, y_train, X_val, y_val = _check_split(X_train, y_train, X_val, y_val)
    epochs = checks.positive_int(epochs, "epochs")
    Xw_train, yw_train = sliding_windows(X_train, y_train, window)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    set_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(window, X_train.shape[2])),
            keras.layers.LSTM(checks.positive_int(units, "units")),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        Xw_train,
        yw_train.astype(np.float32),
        epochs=epochs,
        batch_size=32,
        validation_data=(Xw_val, yw_val.astype(np.float32)),
        callbacks=[StopWhenConverged()],
        verbose=0,
    )
    return TrainResult(model=model, history=_history(history.history))


def train_stateful(
    X_train, y_train, X_val, y_val, *, batch_size, chunk=1, units=8, epochs=STATEFUL_EPOCHS, seed=0
):
    """Train a stateful LSTM on the stateful layout, resetting at every group of sequences.

    ``stateful_batches(X_train, y_train, batch_size, chunk)`` gives the rows;
    ``ResetStatesEvery(L // chunk)`` resets before each group; ``fit(shuffle=False)`` keeps the
    order. ``chunk == 1`` feeds one timestep per batch; ``chunk > 1`` is truncated
    backpropagation through time over ``chunk`` timesteps, the state carried between chunks.

    Pitfalls: ``shuffle=True`` (the default!) scatters the chunks; forgetting the resets lets one
    group's state leak into the next. One ``fit`` call with ``steps_per_execution = L // chunk``
    keeps each execution inside one group, so the reset still lands on every group's start.
    """
    X_train, y_train, X_val, y_val = _check_split(X_train, y_train, X_val, y_val)
    epochs = checks.positive_int(epochs, "epochs")
    length, features = X_train.shape[1:]
    Xs, ys = stateful_batches(X_train, y_train, batch_size, chunk)
    per_group = length // chunk
    set_seed(seed)
    model = build_stateful_classifier(batch_size, chunk, units, features, LEARNING_RATE)
    model.compile(
        optimizer=model.optimizer,
        loss=model.loss,
        metrics=["accuracy"],
        steps_per_execution=per_group,
    )
    validation = SequenceValidation(X_val, y_val)
    history = model.fit(
        Xs,
        ys.astype(np.float32),
        batch_size=batch_size,
        epochs=epochs,
        shuffle=False,
        callbacks=[ResetStatesEvery(per_group), validation, StopWhenConverged()],
        verbose=0,
    )
    return TrainResult(model=model, history=_history(history.history))


def train_per_timestep(
    X_train, y_train, X_val, y_val, *, units=8, epochs=PER_TIMESTEP_EPOCHS, seed=0
):
    """The classic explicit loop: ``train_on_batch`` on one timestep of one sequence at a time.

    Batch size 1, ``chunk`` 1; the state is reset after every sequence. Slow by nature (one call
    per timestep), but it shows exactly what ``fit`` with the reset callback automates.
    """
    X_train, y_train, X_val, y_val = _check_split(X_train, y_train, X_val, y_val)
    epochs = checks.positive_int(epochs, "epochs")
    n, length, features = X_train.shape
    labels = expand_labels(y_train, length).astype(np.float32).reshape(-1, 1)
    set_seed(seed)
    model = build_stateful_classifier(1, 1, units, features, PER_TIMESTEP_LEARNING_RATE)
    twin = stateless_twin(model)
    history = {key: [] for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    stop = StopWhenConverged()
    for _ in range(epochs):
        losses, hits = [], []
        for i in range(n):
            for t in range(length):
                loss, acc = model.train_on_batch(
                    X_train[i : i + 1, t : t + 1, :], labels[i * length + t : i * length + t + 1]
                )
                losses.append(float(loss))
                hits.append(float(acc))
            reset_states(model)
        twin.set_weights(model.get_weights())
        p = np.asarray(twin.predict_on_batch(X_val)).reshape(-1)
        logs = {
            "loss": float(np.mean(losses)),
            "accuracy": float(np.mean(hits)),
            "val_loss": oracle.binary_crossentropy(y_val, p),
            "val_accuracy": oracle.accuracy(y_val, p),
        }
        for key, value in logs.items():
            history[key].append(value)
        if stop.converged(logs):
            break
    return TrainResult(model=model, history=history)
