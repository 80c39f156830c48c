"""Exercise 2: the stateless attempt — sliding windows over the echo sequences.

A stateless LSTM sees one window at a time. Only the window that starts at timestep 0 holds the
first bit; for every other window the label is a coin toss. That sets a ceiling no stateless
model can beat.
"""
# Generated from solutions/ by `lstm-lab stubs`; edit the solution's docstring instead.

from __future__ import annotations

import numpy as np

from lstm_lab import checks
from lstm_lab.data import split_sequences


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
    raise NotImplementedError(
        "ex02_windows.sliding_windows: not implemented yet (see its docstring)"
    )


def window_dataset(X, y, window, val_fraction=0.1, seed=0):
    """Split the *sequences* (stratified on ``y``), then window each side.

    Returns ``(Xw_train, Xw_val, yw_train, yw_val)``. No sequence contributes windows to both
    sides: windows of one sequence overlap, so splitting windows would leak the validation
    sequences' bits into training.
    """
    raise NotImplementedError(
        "ex02_windows.window_dataset: not implemented yet (see its docstring)"
    )


def stateless_ceiling(seq_len, window):
    """The best accuracy a stateless model can reach on windows of balanced echo data.

    Of the ``L - w + 1`` windows of a sequence only the one starting at 0 sees the first bit;
    every other window is a coin toss: ``(1 + 0.5 * (L - w)) / (L - w + 1)``, and 1.0 when
    ``w == L``.
    """
    raise NotImplementedError(
        "ex02_windows.stateless_ceiling: not implemented yet (see its docstring)"
    )
