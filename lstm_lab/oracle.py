"""A NumPy reference LSTM: the forward pass of ``keras.layers.LSTM``, written out.

Keras packs the four gates into one kernel of shape ``(features, 4 * units)``, one recurrent
kernel of shape ``(units, 4 * units)`` and one bias of shape ``(4 * units,)``, in the gate order
input, forget, cell candidate, output (``i, f, c, o``):

    z   = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias
    i   = sigmoid(z[:, 0u:1u])       f = sigmoid(z[:, 1u:2u])
    g   = tanh(z[:, 2u:3u])          o = sigmoid(z[:, 3u:4u])
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

This module is the judge's oracle: it uses NumPy only, computes in float64, and is checked
against Keras to ``ATOL`` by the tests.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: How close a Keras model (float32) and this oracle (float64) agree: the judge's tolerance for
#: every model check, and what tests/library/test_oracle.py holds the oracle to.
ATOL = 1e-5


class LSTMOutput(NamedTuple):
    """``outputs``: ``(n, L, u)`` if ``return_sequences`` else ``(n, u)``; final ``h`` and ``c``."""

    outputs: np.ndarray
    h: np.ndarray
    c: np.ndarray


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow warnings."""
    out = np.empty_like(x, dtype=np.float64)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def _split_weights(weights):
    if len(weights) == 3:
        kernel, recurrent_kernel, bias = weights
    elif len(weights) == 2:
        (kernel, recurrent_kernel), bias = weights, None
    else:
        raise ValueError(
            "weights must be [kernel, recurrent_kernel, bias] or [kernel, recurrent_kernel] "
            f"as keras.layers.LSTM.get_weights() returns them, got {len(weights)} arrays"
        )
    kernel = np.asarray(kernel, dtype=np.float64)
    recurrent_kernel = np.asarray(recurrent_kernel, dtype=np.float64)
    units = recurrent_kernel.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != 4 * units:
        raise ValueError(f"kernel must have shape (features, 4 * units), got {kernel.shape}")
    if recurrent_kernel.shape != (units, 4 * units):
        raise ValueError(
            f"recurrent_kernel must have shape (units, 4 * units), got {recurrent_kernel.shape}"
        )
    bias = np.zeros(4 * units) if bias is None else np.asarray(bias, dtype=np.float64)
    if bias.shape != (4 * units,):
        raise ValueError(f"bias must have shape (4 * units,) = ({4 * units},), got {bias.shape}")
    return kernel, recurrent_kernel, bias, units


def lstm_forward(x, weights, initial_state=None, *, return_sequences: bool = False) -> LSTMOutput:
    """Run an LSTM over ``x`` with Keras's weights.

    Parameters
    ----------
    x : array, shape (n, L, f) or (n, L)
        The input sequences (a 2-D ``x`` is read as ``f = 1``).
    weights : list of arrays
        ``keras.layers.LSTM(...).get_weights()``: kernel, recurrent kernel and (optional) bias.
    initial_state : (h0, c0), optional
        Each of shape ``(n, units)``; zeros when omitted.
    return_sequences : bool
        Return every timestep's output instead of the last one.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, np.newaxis]
    if x.ndim != 3:
        raise ValueError(f"x must be 2-D (n, L) or 3-D (n, L, f), got shape {x.shape}")
    kernel, recurrent_kernel, bias, units = _split_weights(weights)
    n, length, features = x.shape
    if features != kernel.shape[0]:
        raise ValueError(f"x has {features} features but the kernel expects {kernel.shape[0]}")
    if initial_state is None:
        h = np.zeros((n, units))
        c = np.zeros((n, units))
    else:
        h, c = (np.array(s, dtype=np.float64) for s in initial_state)
        if h.shape != (n, units) or c.shape != (n, units):
            raise ValueError(
                f"initial_state must be two arrays of shape (n, units) = ({n}, {units}), "
                f"got {h.shape} and {c.shape}"
            )
    outputs = np.empty((n, length, units))
    u = units
    for t in range(length):
        z = x[:, t, :] @ kernel + h @ recurrent_kernel + bias
        i = sigmoid(z[:, :u])
        f = sigmoid(z[:, u : 2 * u])
        g = np.tanh(z[:, 2 * u : 3 * u])
        o = sigmoid(z[:, 3 * u :])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs[:, t, :] = h
    return LSTMOutput(outputs if return_sequences else h, h, c)


def dense_forward(x, weights, activation: str | None = None) -> np.ndarray:
    """``keras.layers.Dense`` with weights ``[kernel, bias]``; activation None or "sigmoid"."""
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in weights)
    z = np.asarray(x, dtype=np.float64) @ kernel + bias
    if activation in (None, "linear"):
        return z
    if activation == "sigmoid":
        return sigmoid(z)
    raise ValueError(f"activation must be None, 'linear' or 'sigmoid', got {activation!r}")


def classifier_forward(x, lstm_weights, dense_weights) -> np.ndarray:
    """The lab's classifier, LSTM then Dense(1, sigmoid), from a zero state: shape ``(n,)``."""
    h = lstm_forward(x, lstm_weights).outputs
    return dense_forward(h, dense_weights, "sigmoid")[:, 0]


def binary_crossentropy(y_true, p, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy as Keras computes it (probabilities clipped to [eps, 1 - eps])."""
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.clip(np.asarray(p, dtype=np.float64).reshape(-1), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def accuracy(y_true, p) -> float:
    """Binary accuracy at threshold 0.5, as Keras's ``"accuracy"`` metric for one sigmoid."""
    y = np.asarray(y_true).reshape(-1)
    return float(np.mean((np.asarray(p).reshape(-1) > 0.5) == (y > 0.5)))
