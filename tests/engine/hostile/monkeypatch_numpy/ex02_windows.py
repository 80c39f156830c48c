"""HOSTILE SUBMISSION (monkeypatch_numpy): patches NumPy's comparisons to always agree, then
returns windows of zeros."""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

import numpy as np

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    """The attacked function."""
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
