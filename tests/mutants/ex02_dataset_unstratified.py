"""Mistake: the sequences are split without ``stratify=y``: the sides' label balance drifts."""

from sklearn.model_selection import train_test_split

from .ex02_windows import sliding_windows

MODULE = "ex02_windows"
KIND = "mistake"
CATCHES = ["test_window_dataset_stratifies_on_labels", "test_window_dataset_agrees_with_solutions"]
SLOW = False


def window_dataset(X, y, window, val_fraction=0.1, seed=0):
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=val_fraction, random_state=seed
    )
    Xw_train, yw_train = sliding_windows(X_train, y_train, window)
    Xw_val, yw_val = sliding_windows(X_val, y_val, window)
    return Xw_train, Xw_val, yw_train, yw_val
