"""Variant: ``expand_labels`` with pandas (``Series.repeat``)."""

import numpy as np
import pandas as pd

MODULE = "ex03_labels"
KIND = "variant"
CATCHES = []
SLOW = False


def expand_labels(y, repeats):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sequence), got shape {y.shape}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    return pd.Series(y).repeat(repeats).to_numpy()
