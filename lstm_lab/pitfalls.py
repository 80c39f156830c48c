"""The lesson's pitfalls, run on purpose: deliberately wrong training code.

Every trainer here is **wrong on purpose**, so that ``lstm-lab run`` can show what goes wrong
beside the approaches that work. Do not copy them. Each one is one mistake away from a correct
trainer of ``ex05_training``, and returns a ``PitfallResult`` (a ``TrainResult`` with notes and
facts about the mistake) whose validation, like the correct trainers', is taken on whole
validation sequences from a zero state (``lstm_lab.models.SequenceValidation``).

They reuse the target's correct pieces where it has them (``ex04_stateful``'s
``build_stateful_classifier`` and ``reset_states``), so that a student sees the pitfalls with
their own model; where the target has not implemented them yet, the lab's own versions of what
the contract describes stand in (``Pieces``).

This module imports Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from . import checks
from .models import SequenceValidation, StopWhenConverged, set_seed
from .results import TrainResult

#: The learning rate of ``build_stateful_classifier``'s contract default.
LEARNING_RATE = 0.01


@dataclass
class PitfallResult(TrainResult):
    """A ``TrainResult`` with what the lab learned about the mistake along the way.

    ``notes`` are sentences for the report; ``facts`` are numbers (e.g. the share of labels
    that are 0) for ``results.json``.
    """

    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# The correct pieces: the target's where it has them, else the lab's.


def lab_build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
    """The contract's ``build_stateful_classifier``, for targets that lack one."""
    model = keras.Sequential(
        [
            keras.Input(batch_shape=(batch_size, chunk, features)),
            keras.layers.LSTM(units, stateful=True),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def lab_reset_states(model) -> int:
    """The contract's ``reset_states``: zero every stateful layer; how many were reset."""
    count = 0
    for layer in model.layers:
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
            layer.reset_state()
            count += 1
    return count


@dataclass
class Pieces:
    """``build_stateful_classifier`` and ``reset_states``, with a record of whose they were."""

    target_build: Callable | None = None
    target_reset: Callable | None = None
    used: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_target(cls, target: str | Path | None) -> Pieces:
        """The target's ``ex04_stateful`` pieces, where it has the module and the functions."""
        pieces = cls()
        if target is None:
            return pieces
        from .target import MODULES, load_module

        try:
            module = load_module(target, "ex04_stateful")
        except ModuleNotFoundError as error:
            if (error.name or "").rsplit(".", 1)[-1] not in MODULES:
                raise  # the target imports something that is not installed: its error
            return pieces  # no ex04_stateful.py (or a sibling it imports): the lab's pieces
        pieces.target_build = getattr(module, "build_stateful_classifier", None)
        pieces.target_reset = getattr(module, "reset_states", None)
        return pieces

    def build(self, batch_size, chunk, units, features) -> keras.Model:
        """A compiled stateful classifier: the target's, or the lab's if it is not implemented."""
        if self.target_build is not None:
            try:
                model = self.target_build(batch_size, chunk, units, features, LEARNING_RATE)
            except NotImplementedError:
                pass
            else:
                self.used["build_stateful_classifier"] = "target"
                return model
        self.used["build_stateful_classifier"] = "lab"
        return lab_build_stateful_classifier(batch_size, chunk, units, features, LEARNING_RATE)

    def resetter(self, model) -> Callable[[Any], Any]:
        """The reset function to use on ``model``: the target's unless it is not implemented."""
        if self.target_reset is not None:
            try:
                self.target_reset(model)  # a fresh model: resetting it changes nothing
            except NotImplementedError:
                pass
            else:
                self.used["reset_states"] = "target"
                return self.target_reset
        self.used["reset_states"] = "lab"
        return lab_reset_states

    def notes(self) -> list[str]:
        """Which pieces were whose, in words."""
        out = []
        for whose, words in (("target", "the target's"), ("lab", "the lab's own")):
            names = [name for name, by in self.used.items() if by == whose]
            if names:
                missing = " (not implemented yet in the target)" if whose == "lab" else ""
                out.append(f"uses {words} {' and '.join(names)}{missing}")
        return out


def pieces_or_lab(pieces: Pieces | None) -> Pieces:
    """``pieces``, or the lab's own when none are given."""
    return pieces if pieces is not None else Pieces()


class ResetBeforeBatches(keras.callbacks.Callback):
    """Call ``reset(model)`` before every ``every``-th training batch (batch index 0, every, ...).

    Fires on ``on_train_batch_begin``, so it only sees every batch when ``steps_per_execution``
    divides ``every`` (the trainers below choose it so).
    """

    def __init__(self, every: int, reset: Callable):
        super().__init__()
        self.every = checks.positive_int(every, "every")
        self.reset = reset

    def on_train_batch_begin(self, batch, logs=None):
        if batch % self.every == 0:
            self.reset(self.model)


def _history(history) -> dict[str, list[float]]:
    return {
        key: [float(v) for v in history.get(key, [])]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
    }


def _fit(model, Xs, ys, *, batch_size, reset_every, reset, X_val, y_val, epochs):
    """``fit(shuffle=False)`` with resets before every ``reset_every``-th batch, validated on
    whole sequences; ``steps_per_execution = reset_every`` keeps the resets on their batches."""
    model.compile(
        optimizer=model.optimizer,
        loss=model.loss,
        metrics=["accuracy"],
        steps_per_execution=reset_every,
    )
    history = model.fit(
        Xs,
        ys.astype(np.float32),
        batch_size=batch_size,
        epochs=epochs,
        shuffle=False,
        callbacks=[
            ResetBeforeBatches(reset_every, reset),
            SequenceValidation(X_val, y_val),
            StopWhenConverged(),
        ],
        verbose=0,
    )
    return _history(history.history)


def _check(X_train, y_train, X_val, y_val, epochs):
    X_train = checks.sequences(X_train, "X_train")
    y_train = checks.labels(y_train, len(X_train), "y_train")
    X_val = checks.sequences(X_val, "X_val")
    y_val = checks.labels(y_val, len(X_val), "y_val")
    return X_train, y_train, X_val, y_val, checks.positive_int(epochs, "epochs")


def _sequence_after_sequence(X, y):
    """Batch-size-1 order: every timestep of sequence 0, then of sequence 1, ...; one row each.

    Returns ``(Xs, ys)`` with ``Xs`` of shape ``(n * L, 1, f)`` and the correct labels (each
    sequence's label repeated ``L`` times in a row).
    """
    n, length, features = X.shape
    return X.reshape(n * length, 1, features), np.repeat(y, length)


# --------------------------------------------------------------------------------------------
# The pitfalls.


def train_timesteps_across_batch(
    X_train, y_train, X_val, y_val, *, batch_size, epochs, units=8, seed=0, pieces=None
):
    """WRONG ON PURPOSE: one sequence's timesteps laid across the batch axis.

    Each batch is one sequence, its ``L`` timesteps as the ``L`` rows (``batch_size == L``), and
    the states are reset before every batch, that is before every sequence, as they should be.
    But a stateful layer keeps one state per *row*: row ``t``'s state goes to row ``t`` of the
    next batch (timestep ``t`` of the next sequence), never to timestep ``t + 1``.
    """
    X_train, y_train, X_val, y_val, epochs = _check(X_train, y_train, X_val, y_val, epochs)
    length, features = X_train.shape[1:]
    if batch_size != length:
        raise ValueError(
            f"batch_size must be the sequence length {length} for this pitfall, got {batch_size}"
        )
    pieces = pieces_or_lab(pieces)
    Xs, ys = _sequence_after_sequence(X_train, y_train)  # the right rows, fed L to a batch
    set_seed(seed)
    model = pieces.build(batch_size, 1, units, features)
    history = _fit(
        model,
        Xs,
        ys,
        batch_size=batch_size,
        reset_every=1,
        reset=pieces.resetter(model),
        X_val=X_val,
        y_val=y_val,
        epochs=epochs,
    )
    facts = {"rows_per_batch": int(batch_size), "rows_that_see_the_bit": 1}
    notes = [
        f"each batch holds one sequence's {length} timesteps as {length} separate states",
        *pieces.notes(),
    ]
    return PitfallResult(model=model, history=history, notes=notes, facts=facts)


def train_resetting_every_batch(
    X_train, y_train, X_val, y_val, *, batch_size, epochs, units=8, seed=0, pieces=None
):
    """WRONG ON PURPOSE: the correct stateful layout, but the states reset before every batch.

    The layout is ``stateful_batches(X, y, batch_size, 1)``: one timestep per batch, slot ``b``
    always the same sequence. It needs a reset before every *group* of ``L`` batches; resetting
    before every batch starts every timestep from zeros, so nothing is remembered.
    """
    X_train, y_train, X_val, y_val, epochs = _check(X_train, y_train, X_val, y_val, epochs)
    n, length, features = X_train.shape
    batch_size = checks.positive_int(batch_size, "batch_size")
    if n % batch_size:
        raise ValueError(f"batch_size must divide the number of sequences {n}, got {batch_size}")
    groups = n // batch_size
    # The correct layout, in the order (group, timestep, slot).
    Xs = X_train.reshape(groups, batch_size, length, features).transpose(0, 2, 1, 3)
    Xs = np.ascontiguousarray(Xs).reshape(-1, 1, features)
    ys = np.broadcast_to(y_train.reshape(groups, 1, batch_size), (groups, length, batch_size))
    pieces = pieces_or_lab(pieces)
    set_seed(seed)
    model = pieces.build(batch_size, 1, units, features)
    history = _fit(
        model,
        Xs,
        ys.reshape(-1),
        batch_size=batch_size,
        reset_every=1,  # BUG: should be L
        reset=pieces.resetter(model),
        X_val=X_val,
        y_val=y_val,
        epochs=epochs,
    )
    facts = {"resets_per_epoch": int(groups * length), "resets_needed_per_epoch": int(groups)}
    notes = [
        f"{groups * length} resets an epoch where {groups} (one per group of {batch_size} "
        "sequences) are right",
        *pieces.notes(),
    ]
    return PitfallResult(model=model, history=history, notes=notes, facts=facts)


def expand_labels_overwrite(y, repeats):
    """WRONG ON PURPOSE: ``expand_labels`` with the overwrite bug.

    Meant to repeat each label ``repeats`` times in a row; instead the loop writes one slot per
    sequence, ``out[i] = y[i]``, and leaves the rest of the ``n * repeats`` labels at 0.
    """
    y = np.asarray(y)
    repeats = checks.positive_int(repeats, "repeats")
    out = np.zeros(len(y) * repeats, dtype=y.dtype)
    for i in range(len(y)):
        out[i] = y[i]  # BUG: should fill out[i * repeats:(i + 1) * repeats]
    return out


def train_with_overwritten_labels(
    X_train, y_train, X_val, y_val, *, batch_size, epochs, units=8, seed=0, pieces=None
):
    """WRONG ON PURPOSE: stateful fit, batch 1, with labels from ``expand_labels_overwrite``.

    The layout and the resets (before every sequence) are right; only the labels are wrong:
    almost all 0, so training accuracy looks high while the model learns to answer 0.
    """
    X_train, y_train, X_val, y_val, epochs = _check(X_train, y_train, X_val, y_val, epochs)
    n, length, features = X_train.shape
    if batch_size != 1:
        raise ValueError(f"batch_size must be 1 for this pitfall, got {batch_size}")
    Xs, right = _sequence_after_sequence(X_train, y_train)
    ys = expand_labels_overwrite(y_train, length)
    pieces = pieces_or_lab(pieces)
    set_seed(seed)
    model = pieces.build(1, 1, units, features)
    history = _fit(
        model,
        Xs,
        ys,
        batch_size=1,
        reset_every=length,
        reset=pieces.resetter(model),
        X_val=X_val,
        y_val=y_val,
        epochs=epochs,
    )
    zero_share = float(np.mean(ys == 0))
    wrong_share = float(np.mean(ys != right))
    facts = {
        "labels_zero_share": zero_share,
        "labels_wrong_share": wrong_share,
        "always_zero_train_accuracy": zero_share,
    }
    notes = [
        f"{zero_share:.1%} of the {len(ys)} training labels are 0 ({wrong_share:.1%} are wrong):"
        f" always answering 0 scores {zero_share:.1%} training accuracy",
        *pieces.notes(),
    ]
    return PitfallResult(model=model, history=history, notes=notes, facts=facts)
