"""Exercise 1: the five steps of the Keras life cycle, and a series framed as supervised data.

The life cycle: **define** a model, **compile** it (optimizer, loss), **fit** it, **evaluate** it,
**predict** with it. The data: the ramp ``0.0, 0.1, ..., 0.9``, where each value predicts the next.
"""
# Generated from solutions/ by `lstm-lab stubs`; edit the solution's docstring instead.

from __future__ import annotations

import keras
import numpy as np
import pandas as pd

from lstm_lab import Lifecycle, checks
from lstm_lab.models import StopAtLoss, set_seed

#: Every prediction on the ramp must land within this of its target (the contract's check).
LIFECYCLE_TOLERANCE = 0.05
#: At most this many epochs: Adam's default learning rate (0.001) on the ramp, one sample a batch,
#: reaches the stopping loss of ``run_lifecycle`` in 123 to 188 epochs (seeds 0-19).
LIFECYCLE_EPOCHS = 600


def to_supervised(series, lag=1):
    """Frame a series as supervised learning: ``lag`` past values predict the next one.

    Parameters
    ----------
    series : array-like, shape (len,)
        The series, 1-D.
    lag : int
        How many past values form one input, ``1 <= lag < len(series)``.

    Returns
    -------
    X : np.ndarray, float32, shape (len - lag, lag, 1)
        ``X[i, :, 0] == series[i:i+lag]``: already 3-D, (samples, timesteps, features).
    y : np.ndarray, float32, shape (len - lag,)
        ``y[i] == series[i + lag]``.

    Raises
    ------
    ValueError
        If ``series`` is not 1-D or holds NaN, or ``lag < 1`` or ``lag >= len(series)``.

    Notes
    -----
    The classic pandas framing: ``concat([df.shift(1), df], axis=1).dropna()``, with one
    shifted column per step of lag. Pitfall: ``dropna`` drops the first ``lag`` rows, so ``X``
    has ``len - lag`` rows, not ``len``; and Keras wants 3-D input, so add the features axis.
    """
    raise NotImplementedError(
        "ex01_lifecycle.to_supervised: not implemented yet (see its docstring)"
    )


def build_regressor(timesteps, units=10, features=1):
    """Define (step 1) a regressor: ``Input((timesteps, features))``, ``LSTM(units)``, ``Dense(1)``.

    Returns an uncompiled ``keras.Model``.

    Notes
    -----
    Keras 2 → 3: the first layer's ``input_shape=(timesteps, features)`` argument is gone; start
    the model with ``keras.Input(shape=(timesteps, features))`` instead.
    """
    raise NotImplementedError(
        "ex01_lifecycle.build_regressor: not implemented yet (see its docstring)"
    )


def run_lifecycle(series, *, lag=1, units=10, epochs=LIFECYCLE_EPOCHS, optimizer="adam", seed=0):
    """Run all five steps on ``series`` and return a ``lstm_lab.Lifecycle``.

    1. define: ``build_regressor(lag, units)``;
    2. compile: ``optimizer`` (a name such as ``"adam"``, or an optimizer object such as
       ``keras.optimizers.SGD(learning_rate=0.1, momentum=0.3)``) and mean squared error;
    3. fit: up to ``epochs`` passes over ``to_supervised(series, lag)``, one sample a batch,
       quietly, stopping early once the loss is small enough that every prediction must be
       within ``LIFECYCLE_TOLERANCE`` of its target (``lstm_lab.models.StopAtLoss``);
    4. evaluate: the loss on the same data, as a float;
    5. predict: one prediction per sample, shape ``(len(series) - lag,)``.

    Seed with ``lstm_lab.models.set_seed(seed)`` first, so that two runs give the same numbers.

    Notes
    -----
    Keras 2 → 3: ``SGD(lr=...)`` is now ``SGD(learning_rate=...)``; ``predict`` returns shape
    ``(n, 1)`` for ``Dense(1)``, so flatten it.
    """
    raise NotImplementedError(
        "ex01_lifecycle.run_lifecycle: not implemented yet (see its docstring)"
    )


def probabilities_to_classes(probs):
    """Turn predicted probabilities into class labels (what ``predict_classes`` used to do).

    Parameters
    ----------
    probs : array-like, shape (n,), (n, 1) or (n, k)
        Probabilities in ``[0, 1]``.

    Returns
    -------
    np.ndarray of int, shape (n,)
        For one column (a sigmoid output): 1 where ``p > 0.5``, else 0. For ``k > 1`` columns
        (a softmax output): the argmax along the last axis.

    Raises
    ------
    ValueError
        For any other rank, NaN, or values outside ``[0, 1]``.

    Notes
    -----
    Keras 2 → 3: ``Sequential.predict_classes`` was removed. Pitfall: ``argmax`` of a single
    sigmoid column is always 0.
    """
    raise NotImplementedError(
        "ex01_lifecycle.probabilities_to_classes: not implemented yet (see its docstring)"
    )
