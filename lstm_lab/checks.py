"""Argument checks: one place for the rules of the shared conventions.

Every check names the argument, the rule and the value it got, and never modifies its input.
"""

from __future__ import annotations

import numbers

import numpy as np


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is a whole number >= 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def sequences(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a new float32 array of shape ``(n, L, f)``.

    A 2-D ``X`` of shape ``(n, L)`` is read as ``f = 1``. Raises ``ValueError`` for other ranks,
    empty axes, NaN or infinite values.
    """
    arr = np.asarray(X)
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be 2-D (n, L) or 3-D (n, L, f), got {arr.ndim}-D with shape {arr.shape}"
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} must not have an empty axis, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) and arr.dtype != np.bool_:
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    out = np.array(arr, dtype=np.float32)  # always a copy: callers may modify it freely
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    if out.ndim == 2:
        out = out[:, :, np.newaxis]
    return out


def labels(y, n: int, name: str = "y") -> np.ndarray:
    """Return ``y`` as a new 1-D array of length ``n``; ``ValueError`` otherwise."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n,), got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"{name} must have one label per sequence ({n}), got {len(arr)}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return arr.copy()


def series(values, name: str = "series") -> np.ndarray:
    """Return a 1-D float array copy of ``values``; ``ValueError`` for other ranks or NaN."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    out = np.array(arr, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return out


def fraction(value, name: str) -> float:
    """Return ``value`` as a float strictly between 0 and 1; ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return float(value)
