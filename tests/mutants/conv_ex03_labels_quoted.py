"""Variant: ``expand_labels`` by broadcasting a column, its checks quoting the
argument ("'repeats' ...").
"""

import numbers

import numpy as np

MODULE = "ex03_labels"
KIND = "variant"
CATCHES = []
SLOW = False


def expand_labels(y, repeats):
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"'y' should be a vector of labels, got {labels.ndim} dimensions")
    if isinstance(repeats, bool) or not isinstance(repeats, numbers.Integral) or repeats <= 0:
        raise ValueError(f"'repeats' should be a positive integer (got {repeats!r})")
    return np.broadcast_to(labels[:, None], (len(labels), int(repeats))).reshape(-1).copy()
