"""Exercise 5: training to convergence — stateless windows, stateful fit, truncated BPTT, and
the classic explicit loop.

Validation is always on whole validation sequences (except for the stateless trainer, whose
model only ever sees windows): the output after each sequence's last timestep, from a zero state.
``lstm_lab.models.SequenceValidation`` computes it with a stateless twin of the model.
"""
# Generated from solutions/ by `lstm-lab stubs`; edit the solution's docstring instead.

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


def train_stateless(
    X_train, y_train, X_val, y_val, *, window, units=8, epochs=STATELESS_EPOCHS, seed=0
):
    """Train a stateless LSTM on sliding windows; validate on the validation windows.

    With ``window == L`` each window is a whole sequence and the task is solved; with
    ``window < L`` validation accuracy stays near ``stateless_ceiling(L, window)``.
    Stops early once the validation windows are all right with loss at most 0.05.
    """
    raise NotImplementedError(
        "ex05_training.train_stateless: not implemented yet (see its docstring)"
    )


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
    raise NotImplementedError(
        "ex05_training.train_stateful: not implemented yet (see its docstring)"
    )


def train_per_timestep(
    X_train, y_train, X_val, y_val, *, units=8, epochs=PER_TIMESTEP_EPOCHS, seed=0
):
    """The classic explicit loop: ``train_on_batch`` on one timestep of one sequence at a time.

    Batch size 1, ``chunk`` 1; the state is reset after every sequence. Slow by nature (one call
    per timestep), but it shows exactly what ``fit`` with the reset callback automates.
    """
    raise NotImplementedError(
        "ex05_training.train_per_timestep: not implemented yet (see its docstring)"
    )
