"""The result types the exercises return. Plain dataclasses: no TensorFlow import here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The keys every ``TrainResult.history`` carries, one float per epoch each.
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass
class Lifecycle:
    """What ``run_lifecycle`` returns: the five steps of the Keras life cycle, done.

    Attributes
    ----------
    model : keras.Model
        The fitted model.
    history : dict[str, list[float]]
        ``History.history`` from ``fit``: per-epoch lists, at least ``"loss"``.
    loss : float
        The loss ``model.evaluate`` reports on the training data after fitting.
    predictions : np.ndarray
        ``model.predict`` on the framed inputs, shape ``(len(series) - lag,)``.
    """

    model: Any
    history: dict[str, list[float]]
    loss: float
    predictions: np.ndarray


@dataclass
class TrainResult:
    """What the trainers of ex05 return.

    Attributes
    ----------
    model : keras.Model
        The trained model (stateful or stateless, as the trainer built it).
    history : dict[str, list[float]]
        Per-epoch lists with the keys ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
        all of the same length (the number of epochs actually run).
    """

    model: Any
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """How many epochs were run."""
        return len(self.history.get("loss", []))

    def final(self, key: str) -> float:
        """The last value of ``history[key]``."""
        values = self.history.get(key) or []
        if not values:
            raise KeyError(f"history has no values for {key!r}")
        return float(values[-1])
