"""Mistake: the loop writes ``out[i] = y[i]`` once per sequence instead of filling a run.

Every label but the first ``n`` slots stays 0 (the lesson's "almost every label is 0" bug).
"""

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
    out = np.zeros(len(y) * repeats, dtype=y.dtype)
    for i in range(len(y)):
        for _ in range(repeats):
            out[i] = y[i]
    return out
