"""HOSTILE SUBMISSION (fork_daemon): starts a background process that outlives the call (double
fork, new session), then answers correctly.

The sleeper's command line carries the marker and this module's path, by which the tests tell
the leftovers of their own grade from those of a grade running beside it.
"""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

_honest_sliding_windows = sliding_windows
_SLEEPER = "import os, time\nif os.fork():\n    os._exit(0)\nos.setsid()\ntime.sleep(600)\n"


def sliding_windows(X, y, window):
    _daemon()
    return _honest_sliding_windows(X, y, window)


def _daemon():
    import subprocess
    import sys

    subprocess.Popen(
        [sys.executable, "-c", _SLEEPER, "lstm-lab-hostile-fork-daemon", __file__],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
