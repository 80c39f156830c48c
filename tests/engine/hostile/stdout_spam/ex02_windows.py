"""HOSTILE SUBMISSION (stdout_spam): prints binary garbage to stdout and fd 1, then answers
correctly (must cost nothing)."""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    import os
    import sys

    print("\x00\x00\x00\x00\x00\x00\x00\x10garbage" * 100)
    sys.stdout.flush()
    os.write(1, b"\x00" * 64)
    return _honest_sliding_windows(X, y, window)
