"""Mistake: ``argmax`` for every shape, as for a softmax: one sigmoid column always gives 0."""

import numpy as np

MODULE = "ex01_lifecycle"
KIND = "mistake"
CATCHES = [
    "test_probabilities_to_classes_thresholds_or_argmaxes",
    "test_probabilities_to_classes_half_is_class_zero",
    "test_probabilities_to_classes_agrees_with_solutions",
]
SLOW = False


def probabilities_to_classes(probs):
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim not in (1, 2):
        raise ValueError(f"probs must be 1-D or 2-D, got shape {p.shape}")
    if np.isnan(p).any() or (p.size and (p.min() < 0 or p.max() > 1)):
        raise ValueError("probs must lie in [0, 1], without NaN")
    return np.argmax(p.reshape(len(p), -1), axis=-1)
