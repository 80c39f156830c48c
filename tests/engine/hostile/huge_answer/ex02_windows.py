"""HOSTILE SUBMISSION (huge_answer): returns an array far larger than a message may be (the test lowers LSTM_LAB_MAX_MESSAGE_MB).

The rest is a copy of the reference ex02_windows, so that only the attack costs points.
"""

# ruff: noqa

from __future__ import annotations

import numpy as np

from lstm_lab import checks
from lstm_lab.data import split_sequences


def _window(window, length):
    window = checks.positive_int(window, "window")
    if window > length:
        raise ValueError(f"window must be between 1 and the sequence length {length}, got {window}")
    return window


def sliding_windows(X, y, window):
    """Every contiguous window of length ``window`` of every sequence.

    Parameters
    ----------
    X : array, shape (n, L) or (n, L, f)
    y : array, shape (n,)
        One label per sequence.
    window : int
        ``1 <= window <= L``.

    Returns
    -------
    Xw : np.ndarray, float32, shape (n * (L - window + 1), window, f)
        Ordered by sequence, then by window start: rows ``0 .. L - window`` come from sequence 0.
    yw : np.ndarray, shape (n * (L - window + 1),)
        ``yw[j]`` is the label of the sequence window ``j`` came from.

    Raises
    ------
    ValueError
        If ``window < 1`` or ``window > L``, ``len(y) != n``, or ``X`` is not 2-D/3-D.

    Notes
    -----
    There are ``L - window + 1`` starts per sequence, not ``L - window``: the last window ends on
    the last timestep. ``np.lib.stride_tricks.sliding_window_view`` does the work in one call.
    """
    return np.zeros(2**23), np.zeros(3)
    X = checks.sequences(X)
    n, length, features = X.shape
    y = checks.labels(y, n)
    window = _window(window, length)
    views = np.lib.stride_tricks.sliding_window_view(X, window, axis=1)  # (n, starts, f, w)
    Xw = np.ascontiguousarray(views.transpose(0, 1, 3, 2)).reshape(-1, window, features)
    yw = np.repeat(y, length - window + 1)
    return Xw, yw


def window_dataset(X, y, window, val_fraction=0.1, seed=0):
    """Split the *sequences* (stratified on ``y``), then window each side.

    Returns ``(Xw_train, Xw_val, yw_train, yw_val)``. No sequence contributes windows to both
    sides: windows of one sequence overlap, so splitting windows would leak the validation
    sequences' bits into training.
    """
    X = checks.sequences(X)
    y = checks.labels(y, len(X))
    _window(window, X.shape[1])
    X_train, X_val, y_train, y_val = split_sequences(X, y, val_fraction=val_fraction, seed=seed)
    Xw_train, yw_train = sliding_windows(X_train, y_train, window)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    return Xw_train, Xw_val, yw_train, yw_val


def stateless_ceiling(seq_len, window):
    """The best accuracy a stateless model can reach on windows of balanced echo data.

    Of the ``L - w + 1`` windows of a sequence only the one starting at 0 sees the first bit;
    every other window is a coin toss: ``(1 + 0.5 * (L - w)) / (L - w + 1)``, and 1.0 when
    ``w == L``.
    """
    seq_len = checks.positive_int(seq_len, "seq_len")
    window = _window(window, seq_len)
    others = seq_len - window
    return (1.0 + 0.5 * others) / (others + 1)
