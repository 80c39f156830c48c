"""HOSTILE SUBMISSION (exit_call): sys.exit(0) in the middle of sliding_windows."""


def sliding_windows(X, y, window):
    import sys

    sys.exit(0)
