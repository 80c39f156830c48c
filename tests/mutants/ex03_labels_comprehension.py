"""Variant: ``expand_labels`` as a list comprehension."""

import numpy as np

MODULE = "ex03_labels"
KIND = "variant"
CATCHES = []
SLOW = False


def expand_labels(y, repeats):
    if np.ndim(y) != 1:
        raise ValueError(f"y must be 1-D, got {np.ndim(y)}-D")
    if int(repeats) != repeats or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    return np.array([label for label in y for _ in range(repeats)])
