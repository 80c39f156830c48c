"""Helpers for the tests of the grader: build targets, run ``lstm-lab grade``, read results.

Every grade here runs in a subprocess, as a student or Gradescope would run it, and is read back
from its ``results.json``. Targets are copies of ``solutions/`` assembled in a temporary folder:
a fixture's files (``fixtures/<name>/``) replace the reference modules; a hostile submission's
(``hostile/<name>/``: the attack only) are appended to them (``assemble``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lstm_lab.grading import sandbox

ROOT = Path(__file__).resolve().parents[2]
ENGINE = Path(__file__).resolve().parent
HOSTILE = ENGINE / "hostile"
#: The cheap exercises (pure NumPy): grades of them need no TensorFlow.
CHEAP = ("ex02_windows", "ex03_labels")
#: What a worker preloads when only the cheap exercises are graded: faster, same results.
CHEAP_PRELOAD = "numpy,pandas,sklearn.model_selection,lstm_lab.data"


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LSTM_LAB_", "PYTEST_"))}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Graded:
    """What one ``lstm-lab grade`` run gave: exit code, terminal output, ``results.json``."""

    def __init__(self, code: int, output: str, results: dict | None):
        self.code, self.output, self.results = code, output, results

    def module_score(self, module: str) -> tuple[float, float]:
        tests = [t for t in self.results["tests"] if module in t["tags"]]
        return (
            round(sum(t["score"] for t in tests), 2),
            round(sum(t["max_score"] for t in tests), 2),
        )

    def tests_of(self, module: str) -> list[dict]:
        return [t for t in self.results["tests"] if module in t["tags"]]

    def comparable(self) -> dict:
        """The results without what may differ between two runs (times)."""
        return {k: v for k, v in self.results.items() if k not in ("execution_time", "extra_data")}


def grade(
    target,
    *args,
    tmp_path: Path,
    env: dict | None = None,
    timeout: float = 900,
    wrap: list[str] | None = None,
    cheap: bool = True,
) -> Graded:
    """Run ``lstm-lab grade TARGET ARGS`` in a subprocess; read its results back."""
    results = tmp_path / f"results-{len(list(tmp_path.glob('results-*.json')))}.json"
    command = [
        sys.executable,
        "-m",
        "lstm_lab.cli",
        "grade",
        str(target),
        "--results",
        str(results),
        *args,
    ]
    extra = {"LSTM_LAB_PRELOAD": CHEAP_PRELOAD} if cheap else {}
    proc = subprocess.run(
        (wrap or []) + command,
        cwd=tmp_path,
        env=clean_env(**extra, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    data = json.loads(results.read_text()) if results.exists() else None
    return Graded(proc.returncode, proc.stdout + proc.stderr, data)


def cheap_args(*extra) -> list[str]:
    args = []
    for module in CHEAP:
        args += ["--exercise", module]
    return args + list(extra)


def assemble(tmp_path: Path, name: str, overlay: Path | None = None, drop=()) -> Path:
    """A copy of ``solutions/`` with the files of ``overlay`` on top and ``drop`` left out.

    A hostile overlay (a folder of ``hostile/``) holds only its attack: each file is appended to
    the reference module of its name (as ``tests/mutants/test_mutants.py`` grafts its mutants),
    so its definitions replace the reference ones, and its module level code runs after theirs,
    while the reference's helpers stay at hand. The files of any other overlay replace the
    reference's.
    """
    target = tmp_path / name
    shutil.copytree(ROOT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    for module in drop:
        (target / f"{module}.py").unlink()
    if overlay is None:
        return target
    grafted = overlay.resolve().parent == HOSTILE
    for path in sorted(overlay.glob("*.py")):
        module = target / path.name
        if grafted and module.exists():
            source = path.resolve().relative_to(ROOT).as_posix()
            header = f"\n\n# ---- grafted from {source} ----\n"
            module.write_text(module.read_text() + header + path.read_text())
        else:
            shutil.copy2(path, module)
    return target


# -- running as Gradescope does: root, with a Python that every user can read ----------------------
NAMESPACE_SCRIPT = r"""
set -e
mount --make-rprivate /
python_home="$1"; keep="$2"; shift 2
mount --bind "$python_home" "$keep"
mount -t tmpfs -o mode=755 tmpfs /root
mkdir -p "$python_home"
mount --bind "$keep" "$python_home"
exec "$@"
"""


def python_home() -> str | None:
    """The folder under /root that holds the interpreter, when /root hides it from other users."""
    base = Path(sys.base_prefix).resolve()
    if not str(base).startswith("/root/"):
        return None
    parts = base.relative_to("/root").parts
    return str(Path("/root") / parts[0])


def drop_wrapper(keep: Path) -> list[str] | None:
    """A command prefix under which workers can drop privileges, or ``None`` if they cannot.

    Gradescope's Python is readable by every user; this machine's may sit in /root (mode 700).
    Then the grade runs in a private mount namespace where /root is an empty tmpfs holding only
    the Python installation, so that the worker's user can run Python, as on Gradescope.
    """
    if not sandbox.is_root():
        return None
    home = python_home()
    if home is None:
        return []
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    keep.mkdir(parents=True, exist_ok=True)
    return ["unshare", "-m", "sh", "-c", NAMESPACE_SCRIPT, "sh", home, str(keep)]


#: The lock that grades whose workers drop to the worker user hold, one at a time (machine-wide).
WORKER_USER_LOCK = Path(tempfile.gettempdir()) / "lstm_lab_worker_user.lock"


@contextlib.contextmanager
def worker_user_turn():
    """Wait for, then hold, the machine's one turn to grade with workers that drop privileges.

    Every such grade's workers run as the one worker user, and a worker may signal every process
    of its user: ``kill_judge``'s ``kill(-1)`` kills the workers of any grade running beside it
    (on Gradescope, one grade per container, only its own). An exclusive ``flock`` on a file of
    the machine's temporary folder makes those grades take turns across xdist workers and pytest
    sessions alike; the kernel drops it if the holder dies.
    """
    with open(WORKER_USER_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def hostile_marker_processes(marker: str, where: Path | None = None) -> list[int]:
    """Processes whose command line holds ``marker`` (the hostile daemons' signature).

    With ``where`` (a test's ``tmp_path``), only the processes of the grade assembled there: the
    command line must also name a path under it (``fork_daemon``'s sleepers carry their module's
    path, ``fake_results``'s daemons the results path), so that the leftovers of a grade running
    beside it are not counted.
    """
    needles = [marker.encode()]
    if where is not None:
        needles.append(f"{where}{os.sep}".encode())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if all(needle in cmdline for needle in needles):
            found.append(int(entry))
    return found
