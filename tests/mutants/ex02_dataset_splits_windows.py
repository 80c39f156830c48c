"""Mistake: window first, then split the windows: one sequence's windows land on both sides.

The overlapping windows of a validation sequence are in training too: the validation score leaks.
(With ``window == L`` it is the right split, so the stratification test cannot see it.)
"""

from sklearn.model_selection import train_test_split

from .ex02_windows import sliding_windows

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = [
    "test_window_dataset_splits_sequences_before_windowing",
    "test_window_dataset_agrees_with_solutions",
]
SLOW = False


def window_dataset(X, y, window, val_fraction=0.1, seed=0):
    Xw, yw = sliding_windows(X, y, window)
    return train_test_split(Xw, yw, test_size=val_fraction, random_state=seed, stratify=yw)
