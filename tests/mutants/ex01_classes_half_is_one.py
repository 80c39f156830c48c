"""Mistake: ``p >= 0.5`` instead of ``p > 0.5``: a probability of exactly 0.5 becomes class 1."""

import numpy as np

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = ["test_probabilities_to_classes_half_is_class_zero"]
SLOW = False


def probabilities_to_classes(probs):
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim not in (1, 2):
        raise ValueError(f"probs must be 1-D or 2-D, got shape {p.shape}")
    if np.isnan(p).any() or (p.size and (p.min() < 0 or p.max() > 1)):
        raise ValueError("probs must lie in [0, 1], without NaN")
    if p.ndim == 1 or p.shape[1] == 1:
        return (p.reshape(-1) >= 0.5).astype(int)
    return np.argmax(p, axis=-1)
