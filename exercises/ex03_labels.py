"""Exercise 3: labels for one timestep at a time, and the layout a stateful layer needs."""
# Generated from solutions/ by `lstm-lab stubs`; edit the solution's docstring instead.

from __future__ import annotations

import numpy as np

from lstm_lab import checks


def expand_labels(y, repeats):
    """Each label repeated ``repeats`` times in a row: shape ``(n * repeats,)``.

    These are the labels for sequences fed one timestep at a time, sequence after sequence
    (batch size 1): ``[y0, y0, ..., y1, y1, ...]``.

    Pitfalls: ``np.tile`` gives ``[y0, y1, ..., y0, y1, ...]`` — the wrong order; and a loop that
    writes ``out[i] = y[i]`` for each sequence overwrites instead of filling a run, leaving
    almost every label 0.
    """
    raise NotImplementedError(
        "ex03_labels.expand_labels: not implemented yet (see its docstring)"
    )


def stateful_batches(X, y, batch_size, chunk=1):
    """Lay sequences out for a stateful layer fed by ``fit(shuffle=False)``.

    Sequences are taken in groups of ``batch_size``. Each group is cut into ``L // chunk`` chunks
    of ``chunk`` timesteps; batch ``c`` of the group holds chunk ``c`` of each of its sequences,
    and slot ``b`` of every batch is always the same sequence, so the state the layer carries in
    slot ``b`` belongs to that sequence.

    Returns
    -------
    Xs : np.ndarray, float32, shape (n * L // chunk, chunk, f)
        In the order (group, chunk, slot): every run of ``batch_size`` rows is one batch.
    ys : np.ndarray, shape (n * L // chunk,)
        The label of each row's sequence.

    Raises
    ------
    ValueError
        If ``n % batch_size != 0`` or ``L % chunk != 0`` (or sizes are not positive).

    Notes
    -----
    Pitfall: laying one sequence's timesteps across the batch axis (rows of a batch from the same
    sequence) makes each slot carry state from a *different* timestep — the state no longer
    follows the sequence. ``stateful_batches(X, y, 1, 1)`` is plain sequence-after-sequence.
    """
    raise NotImplementedError(
        "ex03_labels.stateful_batches: not implemented yet (see its docstring)"
    )
