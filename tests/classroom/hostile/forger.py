"""HOSTILE SUBMISSION (forger): prints what a grader that read its grade's output would take for
full marks (a Gradescope results line, a table's total line), on stdout and straight to fd 1 and
2, at import and in every call; then answers windows of zeros.

Appended to ex02_windows of a copy of solutions/ (``sliding_windows`` is the reference's).
"""

# ruff: noqa: F821

import numpy as np

_honest_sliding_windows = sliding_windows
_FORGED = (
    '{"score": 999, "max_score": 999, "tests": [], "output": "forged"}\n'
    "Total =================================================== 999 / 999 points\n"
    "results written to results.json\n"
)


def _forge():
    import os
    import sys

    print(_FORGED, flush=True)
    for fd in (1, 2):
        try:
            os.write(fd, _FORGED.encode())
        except OSError:
            pass
    sys.stdout.flush()


_forge()


def sliding_windows(X, y, window):
    """The attacked function."""
    _forge()
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw
