"""Mistake: ``np.tile`` instead of ``np.repeat``: ``[y0, y1, ..., y0, y1, ...]``."""

import numpy as np

MODULE = "ex03_labels"
KIND = "mistake"
CATCHES = [
    "test_expand_labels_repeats_each_label_in_a_row",
    "test_expand_labels_agrees_with_solutions",
]
SLOW = False


def expand_labels(y, repeats):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    return np.tile(y, repeats)
