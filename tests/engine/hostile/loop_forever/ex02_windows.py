"""HOSTILE SUBMISSION (loop_forever): an endless loop in sliding_windows."""


def sliding_windows(X, y, window):
    while True:
        pass
