"""HOSTILE SUBMISSION (monkeypatch_pytest): patches pytest (fail, approx) and AssertionError,
then returns windows of zeros."""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

import builtins

import _pytest.outcomes
import numpy as np
import pytest

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    """The attacked function."""
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


pytest.fail = _pytest.outcomes.fail = lambda *a, **k: None
pytest.approx = lambda expected, *a, **k: type("AnyThing", (), {"__eq__": lambda s, o: True})()
builtins.AssertionError = type("Never", (Exception,), {})
