"""HOSTILE SUBMISSION (os_exit): os._exit(0) in sliding_windows: the worker dies without a word."""


def sliding_windows(X, y, window):
    import os

    os._exit(0)
