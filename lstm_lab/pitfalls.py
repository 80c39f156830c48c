"""The lesson's pitfalls, run on purpose: deliberately wrong training code.

Every trainer here is **wrong on purpose**, so that ``lstm-lab run`` can show what goes wrong
beside the approaches that work. Do not copy them. Each one is one mistake away from a correct
trainer of ``ex05_training``, and returns a ``PitfallResult`` (a ``TrainResult`` with notes and
facts about the mistake) whose validation, like the correct trainers', is taken on whole
validation sequences from a zero state (``lstm_lab.models.SequenceValidation``).

The lab has no correct pieces of its own: the pitfalls are built from the contract's
``ex03_labels.stateful_batches``, ``ex04_stateful.build_stateful_classifier`` and
``ex04_stateful.ResetStatesEvery`` (``PIECES``), taken from the target where it has implemented
them, so that a student sees the pitfalls with their own code. Where it has not, the reference
solution's stand in when the reference solutions are at hand (``solutions/`` of the instructor's
repository, or ``$LSTM_LAB_REFERENCE``: see ``lstm_lab.target.reference_target``); otherwise the
pitfall cannot run, and ``Pieces`` says what it needs first (``MissingPieces``).

This module imports Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from . import checks
from .models import SequenceValidation, StopWhenConverged, set_seed
from .results import TrainResult
from .target import reference_target

#: The learning rate of ``build_stateful_classifier``'s contract default.
LEARNING_RATE = 0.01

#: The contract's correct pieces the pitfalls are built from, ``(module, name)``: the layout, the
#: model and the resets.
PIECES = (
    ("ex03_labels", "stateful_batches"),
    ("ex04_stateful", "build_stateful_classifier"),
    ("ex04_stateful", "ResetStatesEvery"),
)


@dataclass
class PitfallResult(TrainResult):
    """A ``TrainResult`` with what the lab learned about the mistake along the way.

    ``notes`` are sentences for the report; ``facts`` are numbers (e.g. the share of labels
    that are 0) for ``results.json``.
    """

    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# The correct pieces: the target's where it has them, else the reference solution's.


def _join(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def needs_phrase(needs: list[str]) -> str:
    """``needs ex03_labels.stateful_batches, ex04_stateful.build_stateful_classifier and
    ResetStatesEvery first``: each module named once, before its first piece."""
    words, module = [], None
    for qualified in needs:
        owner, name = qualified.split(".", 1)
        words.append(name if owner == module else qualified)
        module = owner
    return f"needs {_join(words)} first"


class MissingPieces(NotImplementedError):
    """Neither the target nor a reference solution has pieces a pitfall is built from.

    ``needs`` are the pieces (``"module.name"``), ``reason`` why neither could give them.
    """

    def __init__(self, needs: list[str], reason: str):
        self.needs, self.reason = list(needs), reason
        super().__init__(f"{needs_phrase(self.needs)}: {reason}")


def _plain_model() -> keras.Model:
    """A tiny model without state, for trying a reset callback on."""
    return keras.Sequential([keras.Input((1, 1)), keras.layers.Dense(1)])


def _try_piece(name: str, piece) -> None:
    """Use ``piece`` once on something tiny: a stub raises ``NotImplementedError`` here.

    Any other exception is left to the real use, where it becomes the pitfall's error.
    """
    try:
        if name == "stateful_batches":
            piece(np.zeros((2, 2, 1), np.float32), np.array([0, 1]), 1, 1)
        elif name == "build_stateful_classifier":
            piece(1, 1, 1, 1, LEARNING_RATE)
        elif name == "ResetStatesEvery":
            callback = piece(1)
            callback.set_model(_plain_model())
            callback.on_train_batch_begin(0)
            callback.on_test_batch_begin(0)
            callback.on_predict_batch_begin(0)
    except NotImplementedError:
        raise
    except Exception:  # not a stub: its errors show where it is really used
        pass


def _load(where: Path, module: str):
    """``where``'s ``module``, or ``None`` if it has none (nor a sibling module it imports)."""
    from .target import MODULES, load_module

    try:
        return load_module(where, module)
    except ModuleNotFoundError as error:
        if (error.name or "").rsplit(".", 1)[-1] not in MODULES:
            raise  # the module imports something that is not installed: its error
        return None


@dataclass
class Pieces:
    """The pieces of ``PIECES`` the pitfalls use, with a record of whose each one is.

    ``chosen`` maps ``"module.name"`` to the piece, ``whose`` to ``"target"`` or
    ``"reference"``; ``missing`` lists the pieces neither has, ``why`` says why the target's
    could not be used, and ``reference`` is the reference solutions' directory (or ``None``).
    """

    chosen: dict[str, Any] = field(default_factory=dict)
    whose: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)
    reference: Path | None = None

    @classmethod
    def from_target(cls, target: str | Path | None, reference: str | Path | None = None) -> Pieces:
        """Each piece from ``target`` if it has implemented it, else from the reference.

        ``reference`` is as ``reference_target`` takes it (by default ``solutions``, if found).
        """
        pieces = cls(reference=reference_target(reference))
        for module, name in PIECES:
            key = f"{module}.{name}"
            piece, why = _target_piece(target, module, name)
            if piece is not None:
                pieces.chosen[key], pieces.whose[key] = piece, "target"
                continue
            pieces.why[key] = why
            loaded = _load(pieces.reference, module) if pieces.reference is not None else None
            piece = getattr(loaded, name, None)
            if piece is not None:
                pieces.chosen[key], pieces.whose[key] = piece, "reference"
            else:
                pieces.missing.append(key)
        return pieces

    def error(self) -> MissingPieces | None:
        """What the pitfalls need first, or ``None`` when every piece is at hand."""
        if not self.missing:
            return None
        whys = list(dict.fromkeys(self.why[key] for key in self.missing))
        if self.reference is None:
            stand_in = "no reference solution to stand in"
        else:
            stand_in = f"nor do the reference solutions in {self.reference}"
        return MissingPieces(self.missing, f"{'; '.join(whys)}; {stand_in}")

    def require(self) -> None:
        """Raise ``MissingPieces`` unless every piece is at hand."""
        error = self.error()
        if error is not None:
            raise error

    def _get(self, module: str, name: str):
        self.require()
        return self.chosen[f"{module}.{name}"]

    def layout(self, X, y, batch_size: int, chunk: int = 1):
        """``ex03_labels.stateful_batches``: the rows of the stateful layout, and their labels."""
        Xs, ys = self._get("ex03_labels", "stateful_batches")(X, y, batch_size, chunk)
        return np.asarray(Xs, dtype=np.float32), np.asarray(ys).reshape(-1)

    def build(self, batch_size: int, chunk: int, units: int, features: int) -> keras.Model:
        """``ex04_stateful.build_stateful_classifier`` at the contract's learning rate."""
        build = self._get("ex04_stateful", "build_stateful_classifier")
        return build(batch_size, chunk, units, features, LEARNING_RATE)

    def reset_every(self, batches: int) -> keras.callbacks.Callback:
        """``ex04_stateful.ResetStatesEvery(batches)``."""
        return self._get("ex04_stateful", "ResetStatesEvery")(batches)

    def notes(self) -> list[str]:
        """Whose pieces were used, in words."""
        out = []
        for whose, words in (("target", "the target's"), ("reference", "the reference solution's")):
            names = [key.split(".", 1)[1] for key, by in self.whose.items() if by == whose]
            if names:
                missing = " (not implemented yet in the target)" if whose == "reference" else ""
                out.append(f"uses {words} {_join(names)}{missing}")
        return out


def _target_piece(target: str | Path | None, module: str, name: str) -> tuple[Any, str]:
    """``(piece, "")`` when the target has implemented ``module.name``, else ``(None, why)``."""
    if target is None:
        return None, "no target"
    loaded = _load(Path(target), module)
    if loaded is None:
        return None, f"the target has no {module}.py"
    piece = getattr(loaded, name, None)
    if piece is None:
        return None, f"the target's {module}.py has no {name}"
    try:
        _try_piece(name, piece)
    except NotImplementedError:
        return None, "not implemented yet in the target"
    return piece, ""


def pieces_or_reference(pieces: Pieces | None) -> Pieces:
    """``pieces``, or the reference solution's when none are given."""
    return pieces if pieces is not None else Pieces.from_target(None)


def _history(history) -> dict[str, list[float]]:
    return {
        key: [float(v) for v in history.get(key, [])]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
    }


def _fit(model, Xs, ys, *, batch_size, reset_every, pieces, X_val, y_val, epochs):
    """``fit(shuffle=False)`` with ``ResetStatesEvery(reset_every)``, validated on whole
    sequences; ``steps_per_execution = reset_every`` keeps the resets on their batches (a
    callback sees only the first batch of each execution)."""
    reset = pieces.reset_every(reset_every)
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
        callbacks=[reset, SequenceValidation(X_val, y_val), StopWhenConverged()],
        verbose=0,
    )
    return _history(history.history)


def _check(X_train, y_train, X_val, y_val, epochs):
    X_train = checks.sequences(X_train, "X_train")
    y_train = checks.labels(y_train, len(X_train), "y_train")
    X_val = checks.sequences(X_val, "X_val")
    y_val = checks.labels(y_val, len(X_val), "y_val")
    return X_train, y_train, X_val, y_val, checks.positive_int(epochs, "epochs")


# --------------------------------------------------------------------------------------------
# The pitfalls.


def train_timesteps_across_batch(
    X_train, y_train, X_val, y_val, *, batch_size, epochs, units=8, seed=0, pieces=None
):
    """WRONG ON PURPOSE: one sequence's timesteps laid across the batch axis.

    The rows are those of ``stateful_batches(X, y, 1, 1)`` (sequence after sequence, one
    timestep a row), but fed ``L`` to a batch: each batch is one sequence, its ``L`` timesteps
    the ``L`` rows (``batch_size == L``), and ``ResetStatesEvery(1)`` resets before every batch,
    that is before every sequence, as it should. But a stateful layer keeps one state per
    *row*: row ``t``'s state goes to row ``t`` of the next batch (timestep ``t`` of the next
    sequence), never to timestep ``t + 1``.
    """
    X_train, y_train, X_val, y_val, epochs = _check(X_train, y_train, X_val, y_val, epochs)
    length, features = X_train.shape[1:]
    if batch_size != length:
        raise ValueError(
            f"batch_size must be the sequence length {length} for this pitfall, got {batch_size}"
        )
    pieces = pieces_or_reference(pieces)
    pieces.require()
    Xs, ys = pieces.layout(X_train, y_train, 1, 1)  # the right rows, fed L to a batch
    set_seed(seed)
    model = pieces.build(batch_size, 1, units, features)
    history = _fit(
        model,
        Xs,
        ys,
        batch_size=batch_size,
        reset_every=1,
        pieces=pieces,
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
    """WRONG ON PURPOSE: the correct stateful layout, but ``ResetStatesEvery(1)``.

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
    pieces = pieces_or_reference(pieces)
    pieces.require()
    Xs, ys = pieces.layout(X_train, y_train, batch_size, 1)
    set_seed(seed)
    model = pieces.build(batch_size, 1, units, features)
    history = _fit(
        model,
        Xs,
        ys,
        batch_size=batch_size,
        reset_every=1,  # BUG: should be L
        pieces=pieces,
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
        out[i] = y[i]  # BUG: one slot per sequence, where each sequence needs a run of them
    return out


def train_with_overwritten_labels(
    X_train, y_train, X_val, y_val, *, batch_size, epochs, units=8, seed=0, pieces=None
):
    """WRONG ON PURPOSE: stateful fit, batch 1, with labels from ``expand_labels_overwrite``.

    The layout (``stateful_batches(X, y, 1, 1)``) and the resets (``ResetStatesEvery(L)``,
    before every sequence) are right; only the labels are wrong: almost all 0, so training
    accuracy looks high while the model learns to answer 0.
    """
    X_train, y_train, X_val, y_val, epochs = _check(X_train, y_train, X_val, y_val, epochs)
    n, length, features = X_train.shape
    if batch_size != 1:
        raise ValueError(f"batch_size must be 1 for this pitfall, got {batch_size}")
    pieces = pieces_or_reference(pieces)
    pieces.require()
    Xs, right = pieces.layout(X_train, y_train, 1, 1)
    ys = expand_labels_overwrite(y_train, length)
    set_seed(seed)
    model = pieces.build(1, 1, units, features)
    history = _fit(
        model,
        Xs,
        ys,
        batch_size=1,
        reset_every=length,
        pieces=pieces,
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
