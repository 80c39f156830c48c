"""Variant: ``probabilities_to_classes`` through a pandas DataFrame (``idxmax`` over columns)."""

import numpy as np
import pandas as pd

MODULE = "ex01_lifecycle"
KIND = "variant"
CATCHES = []
SLOW = False


def probabilities_to_classes(probs):
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim not in (1, 2):
        raise ValueError(f"probs must be 1-D (n,) or 2-D (n, k), got {p.ndim}-D")
    frame = pd.DataFrame(p.reshape(len(p), -1))
    if frame.isna().any().any():
        raise ValueError("probs must not contain NaN")
    if ((frame < 0) | (frame > 1)).any().any():
        raise ValueError("probs must lie in [0, 1]")
    if frame.shape[1] == 1:
        return frame[0].gt(0.5).astype(int).to_numpy()
    return frame.idxmax(axis=1).astype(int).to_numpy()
