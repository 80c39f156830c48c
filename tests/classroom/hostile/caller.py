"""HOSTILE SUBMISSION (caller): tries the network: connects to the port the test listens on
(``PORT``, written into this file by the test) on 127.0.0.1 and the machine's own address, and
resolves a name. Were it to get through, it would answer honestly (full marks for ex02); cut off,
it answers windows of zeros.

Appended to ex02_windows of a copy of solutions/ (``sliding_windows`` is the reference's).
"""

# ruff: noqa: F821

import numpy as np

_honest_sliding_windows = sliding_windows
PORT = 0  # replaced by the test


def sliding_windows(X, y, window):
    """The attacked function."""
    if _called():
        return _honest_sliding_windows(X, y, window)
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


def _called():
    import socket

    reached = False
    for host in ("127.0.0.1", socket.gethostname()):
        try:
            with socket.create_connection((host, PORT), timeout=1) as conn:
                conn.sendall(b"pwned")
                reached = True
        except OSError:
            pass
    try:
        socket.getaddrinfo("pypi.org", 443)
        reached = True
    except OSError:
        pass
    return reached
