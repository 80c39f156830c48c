"""Mistake: ``expand_labels`` rejects a ``y`` of more than one dimension (``y.ndim > 1``) but
accepts a 0-d one: a single number comes back repeated, as if it were one sequence's label."""

import numpy as np

from lstm_lab import checks

MODULE = "ex03_labels"
KIND = "mistake"
CATCHES = ["test_expand_labels_rejects_bad_input[0-d-y]"]
SLOW = False


def expand_labels(y, repeats):
    y = np.asarray(y)
    if y.ndim > 1:
        raise ValueError(f"y must be 1-D (n,), got shape {y.shape}")
    repeats = checks.positive_int(repeats, "repeats")
    return np.repeat(y, repeats)
