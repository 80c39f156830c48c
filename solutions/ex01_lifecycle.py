"""Exercise 1: the five steps of the Keras life cycle, and a series framed as supervised data.

The life cycle: **define** a model, **compile** it (optimizer, loss), **fit** it, **evaluate** it,
**predict** with it. The data: the ramp ``0.0, 0.1, ..., 0.9``, where each value predicts the next.
"""

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
    values = checks.series(series)
    lag = checks.positive_int(lag, "lag")
    if lag >= len(values):
        raise ValueError(f"lag must be less than the length of series ({len(values)}), got {lag}")
    frame = pd.DataFrame({"t": values})
    shifted = [frame["t"].shift(k).rename(f"t-{k}") for k in range(lag, 0, -1)]
    supervised = pd.concat([*shifted, frame["t"]], axis=1).dropna()
    X = supervised.iloc[:, :lag].to_numpy(dtype=np.float32)[:, :, np.newaxis]
    y = supervised["t"].to_numpy(dtype=np.float32)
    return X, y


def build_regressor(timesteps, units=10, features=1):
    """Define (step 1) a regressor: ``Input((timesteps, features))``, ``LSTM(units)``, ``Dense(1)``.

    Returns an uncompiled ``keras.Model``.

    Notes
    -----
    Keras 2 → 3: the first layer's ``input_shape=(timesteps, features)`` argument is gone; start
    the model with ``keras.Input(shape=(timesteps, features))`` instead.
    """
    timesteps = checks.positive_int(timesteps, "timesteps")
    units = checks.positive_int(units, "units")
    features = checks.positive_int(features, "features")
    return keras.Sequential(
        [
            keras.Input(shape=(timesteps, features)),
            keras.layers.LSTM(units),
            keras.layers.Dense(1),
        ]
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
    epochs = checks.positive_int(epochs, "epochs")
    X, y = to_supervised(series, lag)
    # The worst error is at most sqrt(n * mse) (when all of the squared error sits on one sample),
    # so a mean squared error of tolerance**2 / n puts every prediction within the tolerance. The
    # loss fit reports is the mean over the epoch's updates; the model at the end of the epoch
    # does a little better (on seeds 0-9 its evaluated loss was at most 0.95 of the stopping
    # loss, its worst error 0.041).
    stop_loss = LIFECYCLE_TOLERANCE**2 / len(X)
    set_seed(seed)
    # 1. define
    model = build_regressor(lag, units)
    # 2. compile; one call into the compiled graph per epoch of len(X) batches of one sample
    # (Keras on PyTorch accepts only steps_per_execution=1: same updates, more Python per step)
    steps = 1 if keras.backend.backend() == "torch" else len(X)
    model.compile(optimizer=optimizer, loss="mse", steps_per_execution=steps)
    # 3. fit
    history = model.fit(
        X,
        y,
        epochs=epochs,
        batch_size=1,
        # The number of batches, spelled out: Keras then prepares each epoch's data iterator
        # once instead of twice. With steps_per_execution, an epoch costs about 22 ms instead
        # of 53 (2 CPU cores), and the ramp takes 3-4 s instead of 5-12.
        steps_per_epoch=len(X),
        shuffle=False,
        verbose=0,
        callbacks=[StopAtLoss(stop_loss)],
    )
    # 4. evaluate
    loss = float(model.evaluate(X, y, batch_size=len(X), verbose=0))
    # 5. predict
    predictions = np.asarray(model.predict(X, batch_size=len(X), verbose=0)).reshape(-1)
    return Lifecycle(
        model=model,
        history={k: [float(v) for v in vs] for k, vs in history.history.items()},
        loss=loss,
        predictions=predictions,
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
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim not in (1, 2):
        raise ValueError(f"probs must be 1-D (n,) or 2-D (n, k), got shape {p.shape}")
    if np.isnan(p).any():
        raise ValueError("probs must not contain NaN")
    if p.size and (p.min() < 0.0 or p.max() > 1.0):
        raise ValueError(f"probs must lie in [0, 1], got values from {p.min():g} to {p.max():g}")
    if p.ndim == 1 or p.shape[1] == 1:
        return (p.reshape(len(p)) > 0.5).astype(int)
    return np.argmax(p, axis=-1).astype(int)
