"""One ``lstm-lab grade`` subprocess per submission, and what its end means.

``GradeProcess.start`` stages nothing itself: it is given the staged submission and a folder of
its own (``home``, mode 700, which no worker can reach: the grade's workers are confined to their
staged copy), runs ``python -m lstm_lab.cli grade STAGED --results home/results.json`` there in a
session of its own that dies with the coordinator, and ``outcome()`` turns its end into a status
and a reason (see ``lstm_lab.classroom.batch``).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
#: Characters of a grade's own output kept as the reason of a failed run.
REASON_LIMIT = 500


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


@dataclass
class Outcome:
    status: str
    reason: str = ""
    results: dict | None = None


def grade_environment() -> dict:
    """The coordinator's environment for a grade, less what pytest sets for its own runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


class GradeProcess:
    """A running ``lstm-lab grade`` of one submission."""

    def __init__(self, staged: Path, home: Path, grade_args: list[str], timeout: float):
        self.staged, self.home, self.timeout = staged, home, timeout
        self.results_path = home / "results.json"
        self.log_path = home / "grade.log"
        command = [
            sys.executable,
            "-m",
            "lstm_lab.cli",
            "grade",
            str(staged),
            "--results",
            str(self.results_path),
            *grade_args,
        ]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=grade_environment(),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.started = time.monotonic()
        self.timed_out = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> bool:
        """Whether the grade ended (past its time it is killed, and ends)."""
        if self.process.poll() is not None:
            return True
        if time.monotonic() - self.started > self.timeout:
            self.timed_out = True
            self.kill()
            return True
        return False

    def kill(self) -> None:
        """Kill the grade and its session (the judge kills what its workers left)."""
        for kill in (lambda: os.killpg(self.pid, signal.SIGKILL), self.process.kill):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait()

    def outcome(self) -> Outcome:
        code = self.process.returncode
        if self.timed_out:
            return Outcome(
                "timeout",
                f"the grade ran longer than {self.timeout:g} s and was "
                "killed (an endless loop outside the tests' own limits?)",
            )
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return Outcome("infrastructure", f"the grade process was killed from outside ({name})")
        results = self._results()
        if code in (0, 1) and results is not None:
            return Outcome("graded", "", results)
        return Outcome("failed", f"the grade made no results (exit code {code}): {self._tail()}")

    def _results(self) -> dict | None:
        try:
            data = json.loads(self.results_path.read_text())
        except (OSError, ValueError):
            return None
        ok = isinstance(data, dict) and isinstance(data.get("tests"), list)
        return data if ok and "score" in data and "max_score" in data else None

    def _tail(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no output)"
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        wanted = [line for line in lines if line.startswith("lstm-lab grade:")] or lines[-1:]
        return (wanted[-1] if wanted else "(no output)")[:REASON_LIMIT]


def adopt_orphans() -> bool:
    """Make the coordinator adopt what a grade leaves behind when it is killed from outside
    (its zygote and workers), so that ``sweep`` can end them."""
    from ..grading import host

    return host.become_subreaper()


def sweep(running_pids) -> int:
    """Kill the coordinator's children that are not running grades (orphans it adopted) and
    everything under them; wait for them. Returns how many were killed."""
    from ..grading import host

    keep, count = set(running_pids), 0
    for child in host.children(os.getpid()):
        if child in keep:
            continue
        for pid in reversed(host.tree(child)):
            try:
                os.kill(pid, signal.SIGKILL)
                count += 1
            except OSError:
                pass
        try:
            os.waitpid(child, 0)
        except ChildProcessError:
            pass
    return count
