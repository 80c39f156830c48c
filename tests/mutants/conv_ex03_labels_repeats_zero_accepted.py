"""Mistake: ``expand_labels`` refuses negative ``repeats`` but takes 0, and answers ``[]``.

"Sizes are positive": a check written as ``repeats < 0`` lets 0 through, and ``np.repeat`` then
quietly returns an empty array.
"""

import numpy as np

MODULE = "ex03_labels"
KIND = "mistake"
CATCHES = ["test_expand_labels_refuses_bad_input_by_name[repeats-0]"]
SLOW = False


def expand_labels(y, repeats):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if repeats < 0:
        raise ValueError(f"repeats must not be negative, got {repeats}")
    return np.repeat(y, repeats)
