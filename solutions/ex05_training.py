"""Exercise 5: training to convergence — stateless windows, stateful fit, truncated BPTT, and
the classic explicit loop.

Validation is always on whole validation sequences (except for the stateless trainer, whose
model only ever sees windows): the output after each sequence's last timestep, from a zero state.
``lstm_lab.models.SequenceValidation`` computes it with a stateless twin of the model.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from lstm_lab import TrainResult, checks
from lstm_lab.models import (
    SequenceValidation,
    StopWhenConverged,
    balanced_order,
    sequence_metrics,
    set_seed,
    stateless_twin,
)
from lstm_lab.results import HISTORY_KEYS

from .ex02_windows import sliding_windows
from .ex03_labels import expand_labels, stateful_batches
from .ex04_stateful import ResetStatesEvery, build_stateful_classifier, reset_states

#: Adam's learning rate for the stateful trainers that call ``fit``: the contract's default of
#: ``build_stateful_classifier``. With balanced groups and clipping (below), seeds 0-9 and the 8
#: stateful settings, 0.02 and 0.03 gained a few epochs at batch 90 but were less reliable at
#: batch 10, chunk 1 (up to 15 epochs at 0.02; one seed never converged at 0.03).
LEARNING_RATE = 0.01
#: Gradients are rescaled to at most this norm. Backpropagating through 10 or 20 timesteps now
#: and then gives a gradient large enough to undo what was learnt: on seeds 0-9, clipping took
#: chunk 10 at batch 10 from 7-23 to 6-10 epochs, and the stateless trainer on whole sequences
#: from 7 to 10 seeds converged within 60 epochs. At chunk 1 it changed nothing (same epochs).
CLIPNORM = 1.0
#: The stateful trainer stops at convergence, well before this: 2 to 47 epochs over the 8
#: settings of the contract and seeds 0-19 (the slowest: batch 90, chunk 10; at batch 10, at
#: most 11).
STATEFUL_EPOCHS = 150
#: The stateless trainer takes batches of the windows of this many sequences, so that an epoch
#: makes the same number of updates (90 / 5 = 18) whatever the window.
STATELESS_BATCH_SEQUENCES = 5
#: The stateless trainer's Adam step. With ``window == L`` one window is one sequence, and a model
#: can fit the 90 training sequences without learning the rule (validation loss then rises
#: above 1.5): at 0.01 that held it past 60 epochs on TensorFlow seed 19 and PyTorch seeds 1 and
#: 5, at 0.02 on 3 of 10 seeds of each backend. At 0.005: 14 to 41 epochs on TensorFlow seeds
#: 0-18 (75 on seed 19), 14 to 57 on PyTorch seeds 0-19; medians 24.5 and 27.5 (TensorFlow at
#: 0.01: 22 on seeds 0-9), a few epochs more for an end to the stragglers.
STATELESS_LEARNING_RATE = 0.005
#: Every one of those 40 runs converged within this. With a shorter window the trainer cannot
#: converge and runs every epoch (about 60 ms each), so this is not generous.
STATELESS_EPOCHS = 80
#: With one sequence a batch (the explicit loop, or ``fit`` at batch size 1) the model makes
#: ``L`` updates in a row on one label: at Adam 0.01 its output's bias follows the label of the
#: sequence at hand instead of the memory being learnt (the loop was still at validation accuracy
#: 0.5 after 20 epochs on seeds 0 and 1). A smaller step and a slower momentum (``beta_1 = 0.99``
#: averages the gradients of about the last 100 updates, 5 sequences) smooth that out: 2 to 12
#: epochs (median 3) on seeds 0-19, against 4 to 11 at 0.001 with the default ``beta_1 = 0.9``
#: (seeds 0-4). Both need the balanced order: without it, 1 of 5 seeds converged in 25 epochs.
SINGLE_SEQUENCE_LEARNING_RATE = 0.002
SINGLE_SEQUENCE_BETA_1 = 0.99
#: The explicit loop stops at convergence, after at most 12 epochs on seeds 0-19; each epoch is
#: 1,800 calls, about 1.5 s on 2 CPU cores.
PER_TIMESTEP_EPOCHS = 30


def _history(history):
    return {key: [float(v) for v in history.get(key, [])] for key in HISTORY_KEYS}


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


def _optimizer(batch_size):
    """Adam for a stateful model that trains on ``batch_size`` sequences at a time."""
    if batch_size == 1:
        return keras.optimizers.Adam(
            learning_rate=SINGLE_SEQUENCE_LEARNING_RATE,
            beta_1=SINGLE_SEQUENCE_BETA_1,
            clipnorm=CLIPNORM,
        )
    return keras.optimizers.Adam(learning_rate=LEARNING_RATE, clipnorm=CLIPNORM)


def train_stateless(
    X_train, y_train, X_val, y_val, *, window, units=8, epochs=STATELESS_EPOCHS, seed=0
):
    """Train a stateless LSTM on sliding windows; validate on the validation windows.

    With ``window == L`` each window is a whole sequence and the task is solved; with
    ``window < L`` validation accuracy stays near ``stateless_ceiling(L, window)``.
    Stops early once the validation windows are all right with loss at most 0.05.

    Notes
    -----
    Windows are independent samples, so ``fit`` may shuffle them (its default). Clip the
    gradients (``Adam(..., clipnorm=1.0)``): the first bit reaches the output through 19 steps
    of backpropagation, and the rare large gradient on the way undoes the progress. A smaller
    step than the stateful trainers' (0.005) keeps the model from fitting the 90 training
    sequences one by one before it learns the rule.
    """
    X_train, y_train, X_val, y_val = _check_split(X_train, y_train, X_val, y_val)
    epochs = checks.positive_int(epochs, "epochs")
    Xw_train, yw_train = sliding_windows(X_train, y_train, window)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    batch_size = STATELESS_BATCH_SEQUENCES * (X_train.shape[1] - window + 1)
    set_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(window, X_train.shape[2])),
            keras.layers.LSTM(checks.positive_int(units, "units")),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=STATELESS_LEARNING_RATE, clipnorm=CLIPNORM),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        Xw_train,
        yw_train.astype(np.float32),
        batch_size=batch_size,
        epochs=epochs,
        steps_per_epoch=math.ceil(len(Xw_train) / batch_size),  # see train_stateful
        callbacks=[SequenceValidation(Xw_val, yw_val), StopWhenConverged()],
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
    And since nothing is shuffled, the order of the sequences is yours to choose: a group trains
    for ``L // chunk`` updates in a row, and if the groups differ in their mix of labels the
    output's bias learns to follow the mix instead of the model learning to remember. Order the
    sequences so that every group holds both labels evenly (``lstm_lab.models.balanced_order``).
    """
    X_train, y_train, X_val, y_val = _check_split(X_train, y_train, X_val, y_val)
    epochs = checks.positive_int(epochs, "epochs")
    length, features = X_train.shape[1:]
    order = balanced_order(y_train)
    Xs, ys = stateful_batches(X_train[order], y_train[order], batch_size, chunk)
    per_group = length // chunk
    set_seed(seed)
    model = build_stateful_classifier(batch_size, chunk, units, features, LEARNING_RATE)
    model.compile(
        optimizer=_optimizer(batch_size),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=per_group,
    )
    history = model.fit(
        Xs,
        ys.astype(np.float32),
        batch_size=batch_size,
        epochs=epochs,
        # The number of batches, spelled out: Keras then prepares each epoch's data iterator
        # once instead of twice, which about halves its fixed cost of an epoch (from 44-65 to
        # 21-23 ms at batch size 90, chunk 10, on 2 CPU cores). It changes nothing else.
        steps_per_epoch=len(Xs) // batch_size,
        shuffle=False,
        callbacks=[
            ResetStatesEvery(per_group),
            SequenceValidation(X_val, y_val),
            StopWhenConverged(),
        ],
        verbose=0,
    )
    return TrainResult(model=model, history=_history(history.history))


def train_per_timestep(
    X_train, y_train, X_val, y_val, *, units=8, epochs=PER_TIMESTEP_EPOCHS, seed=0
):
    """The classic explicit loop: ``train_on_batch`` on one timestep of one sequence at a time.

    Batch size 1, ``chunk`` 1; the state is reset after every sequence. Slow by nature (one call
    per timestep), but it shows exactly what ``fit`` with the reset callback automates.

    Notes
    -----
    Each sequence gives ``L`` updates in a row with the same label, so the order of the
    sequences and the optimizer's settings matter more than with larger batches: alternate the
    labels (``lstm_lab.models.balanced_order``), and take small, well-averaged steps (Adam 0.002
    with ``beta_1=0.99``: see ``SINGLE_SEQUENCE_LEARNING_RATE``).
    """
    X_train, y_train, X_val, y_val = _check_split(X_train, y_train, X_val, y_val)
    epochs = checks.positive_int(epochs, "epochs")
    order = balanced_order(y_train)
    X_train, y_train = X_train[order], y_train[order]
    n, length, features = X_train.shape
    # Call k feeds timestep k % L of sequence k // L: inputs of shape (1, 1, f), labels (1, 1),
    # made tensors once here rather than converted from NumPy on each of the n * L calls.
    inputs = keras.ops.unstack(
        keras.ops.convert_to_tensor(X_train.reshape(n * length, 1, 1, features))
    )
    labels = expand_labels(y_train, length).astype(np.float32).reshape(n * length, 1, 1)
    labels = keras.ops.unstack(keras.ops.convert_to_tensor(labels))
    set_seed(seed)
    model = build_stateful_classifier(1, 1, units, features, SINGLE_SEQUENCE_LEARNING_RATE)
    model.compile(
        optimizer=_optimizer(1),  # exactly the updates of fit at batch size 1, chunk 1
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    twin = stateless_twin(model)
    history = {key: [] for key in HISTORY_KEYS}
    stop = StopWhenConverged()
    calls = np.empty((n * length, 2))  # the loss and accuracy of every call of an epoch
    for _ in range(epochs):
        for i in range(n):
            for k in range(i * length, (i + 1) * length):
                calls[k] = model.train_on_batch(inputs[k], labels[k])
            reset_states(model)
        twin.set_weights(model.get_weights())
        val_loss, val_accuracy = sequence_metrics(twin, X_val, y_val)
        logs = {
            "loss": float(calls[:, 0].mean()),
            "accuracy": float(calls[:, 1].mean()),
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
        }
        for key, value in logs.items():
            history[key].append(value)
        if stop.converged(logs):
            break
    return TrainResult(model=model, history=history)
