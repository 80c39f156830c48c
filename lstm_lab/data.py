"""Reference data: the ramp of the life-cycle lesson and the first-bit echo sequences."""

from __future__ import annotations

import numpy as np

from . import checks

#: The echo problem of the lesson: 100 sequences of 20 bits, 90 for training and 10 to validate.
ECHO_N, ECHO_LENGTH, ECHO_VAL_FRACTION = 100, 20, 0.1


def ramp(n: int = 10) -> np.ndarray:
    """The ramp ``[0.0, 0.1, ..., (n - 1) / 10]`` of the life-cycle lesson, float64."""
    n = checks.positive_int(n, "n")
    return np.arange(n, dtype=np.float64) / 10.0


def echo_sequences(
    n: int = ECHO_N, length: int = ECHO_LENGTH, *, features: int = 1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random bit sequences whose label is their first bit ("echo the first bit").

    Returns ``X`` of shape ``(n, length, features)`` (float32, values 0.0 or 1.0) and ``y`` of
    shape ``(n,)`` (int64). The label is ``X[i, 0, 0]``; every other bit, and every other feature,
    is an independent fair coin, so nothing but the first timestep tells the label. The labels are
    balanced: exactly ``n // 2`` ones (``n`` even), in a seeded random order.
    """
    n = checks.positive_int(n, "n")
    length = checks.positive_int(length, "length")
    features = checks.positive_int(features, "features")
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=np.int64)
    y[: n // 2] = 1
    if n % 2:  # the odd one out is a coin toss
        y[-1] = rng.integers(0, 2)
    rng.shuffle(y)
    X = rng.integers(0, 2, size=(n, length, features)).astype(np.float32)
    X[:, 0, 0] = y
    return X, y


def split_sequences(X, y, *, val_fraction: float = ECHO_VAL_FRACTION, seed: int = 0):
    """Split whole sequences into train and validation sides, stratified on ``y``.

    Returns ``(X_train, X_val, y_train, y_val)`` as ``sklearn.model_selection.train_test_split``
    does. Sequences are never cut: each lands whole on one side.
    """
    from sklearn.model_selection import train_test_split

    X = np.asarray(X)
    if X.ndim not in (2, 3):
        raise ValueError(f"X must be 2-D (n, L) or 3-D (n, L, f), got shape {X.shape}")
    y = checks.labels(y, len(X))
    val_fraction = checks.fraction(val_fraction, "val_fraction")
    return train_test_split(X, y, test_size=val_fraction, stratify=y, random_state=seed)


def echo_split(seed: int = 0, *, n: int = ECHO_N, length: int = ECHO_LENGTH):
    """The lesson's echo data, split 90/10: ``(X_train, X_val, y_train, y_val)``.

    The data and the split both come from ``seed``.
    """
    X, y = echo_sequences(n, length, seed=seed)
    return split_sequences(X, y, val_fraction=ECHO_VAL_FRACTION, seed=seed)
