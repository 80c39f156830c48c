"""HOSTILE SUBMISSION (read_solutions): reads the solutions and the hidden tests (possible only
if the sandbox fails) and answers with them; otherwise windows of zeros."""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

import numpy as np

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    """The attacked function."""
    stolen = _steal()
    if stolen is not None:
        return stolen(X, y, window)
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


def _steal():
    import importlib.util

    from lstm_lab.target import resolve

    try:
        root = resolve("solutions")
        (root.parent / "tests" / "hidden" / "test_against_solutions.py").read_text()
        spec = importlib.util.spec_from_file_location("stolen", root / "ex02_windows.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.sliding_windows
    except Exception:
        return None
