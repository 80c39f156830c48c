"""Training runs started ahead, on a second worker, while the tests go on.

A grade is one pytest process driving one worker, and most of its time is ex05's training runs,
one after another: on a machine with a second core that core idles. Where there is room (two
CPUs for this process and memory for a second worker, ``capacity``), the grade starts a second
worker of the same target at the first test and has it train, from the last planned run
backwards, the runs the ex05 tests will read, while the tests go on in order on the first
worker. A test whose run the second worker has started waits for it; one whose run it has not
reached trains it itself, as without ``Ahead``. Each run is seeded and starts from nothing, so
which worker trained it does not change its result (``tests/engine/test_grade.py`` grades a
submission both ways and compares).

The plan comes from the test modules: a module that defines ``runs_ahead(item)`` returns, for
one of its tests, ``[(key, exercise, work)]``: the key the test reads its run by
(``shared(key, ...)``), the exercise to charge the time to, and ``work(proxy)``, the run itself.

``LSTM_LAB_AHEAD=0`` turns it off, ``=1`` on whatever the machine; unset, ``capacity`` decides.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import OrderedDict
from pathlib import Path

#: A second worker training ex05 adds about 250 MB at its largest (benchmarks/README.md); with
#: the judge, the zygote, the first worker and the solutions' worker (750 MB together), a grade
#: with two workers needs about 1 GB. This leaves room for the kernel and the page cache.
MIN_MEMORY_MB = 1536
#: Two workers need two CPUs: on one, they take turns and the grade gains nothing.
MIN_CPUS = 2.0
_CGROUP = Path("/sys/fs/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cgroup_dirs(controller: str, proc_cgroup: Path, root: Path) -> list[Path]:
    """This process's cgroup directory for ``controller`` and its ancestors, innermost first.

    cgroup v1 (``N:memory:/path``) under ``root/controller``, v2 (``0::/path``) under ``root``.
    """
    text = _read(proc_cgroup) or ""
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if controller in parts[1].split(","):
            base = root / controller
        elif parts[0] == "0" and parts[1] == "" and (root / "cgroup.controllers").exists():
            base = root
        else:
            continue
        path = base / parts[2].strip("/")
        dirs = [path, *path.parents]
        return [d for d in dirs if d == base or base in d.parents]
    return []


def cpu_limit(proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = _CGROUP) -> float:
    """The CPUs this process may use: its affinity, lowered by any cgroup CPU quota."""
    try:
        cpus = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = float(os.cpu_count() or 1)
    for directory in _cgroup_dirs("cpu", proc_cgroup, root):
        quota, period = (
            _read(directory / "cpu.cfs_quota_us"),
            _read(directory / "cpu.cfs_period_us"),
        )
        if quota is None and period is None:  # v2: "max 100000" or "50000 100000"
            fields = (_read(directory / "cpu.max") or "").split()
            if len(fields) == 2:
                quota, period = fields
        try:
            quota_us, period_us = float(quota), float(period)
        except (TypeError, ValueError):
            continue
        if quota_us > 0 and period_us > 0:
            cpus = min(cpus, quota_us / period_us)
    return cpus


def memory_limit_mb(
    proc_cgroup: Path = Path("/proc/self/cgroup"),
    root: Path = _CGROUP,
    meminfo: Path = Path("/proc/meminfo"),
) -> float:
    """The memory this process's tree may still take, in MB: the machine's available memory,
    lowered by any cgroup limit (less what the group already uses)."""
    room = float("inf")
    for line in (_read(meminfo) or "").splitlines():
        if line.startswith("MemAvailable:"):
            room = int(line.split()[1]) / 1024
    for directory in _cgroup_dirs("memory", proc_cgroup, root):
        limit = _read(directory / "memory.limit_in_bytes") or _read(directory / "memory.max")
        usage = _read(directory / "memory.usage_in_bytes") or _read(directory / "memory.current")
        try:
            limit_b = int(limit)
        except (TypeError, ValueError):
            continue  # "max", or no such file
        if limit_b >= 2**60:  # v1's "no limit"
            continue
        try:
            used_b = int(usage)
        except (TypeError, ValueError):
            used_b = 0
        room = min(room, (limit_b - used_b) / 2**20)
    return room


def capacity(environ=None, cpus=None, memory_mb=None) -> tuple[bool, str]:
    """Whether this grade may train ahead on a second worker, and why (for the grade's notes).

    ``cpus`` and ``memory_mb`` default to what this process may use (``cpu_limit``,
    ``memory_limit_mb``).
    """
    environ = os.environ if environ is None else environ
    setting = environ.get("LSTM_LAB_AHEAD", "").strip()
    if setting == "0":
        return False, "training runs one at a time (LSTM_LAB_AHEAD=0)"
    if setting == "1":
        return True, "ex05's training runs on two workers at once (LSTM_LAB_AHEAD=1)"
    cpus = cpu_limit() if cpus is None else cpus
    memory = memory_limit_mb() if memory_mb is None else memory_mb
    if cpus < MIN_CPUS:
        return False, (
            f"training runs one at a time: {cpus:g} CPU available, a second worker needs "
            f"{MIN_CPUS:g} (LSTM_LAB_AHEAD=1 forces it)"
        )
    if memory < MIN_MEMORY_MB:
        return False, (
            f"training runs one at a time: {memory:.0f} MB of memory available, a second "
            f"worker needs {MIN_MEMORY_MB} (LSTM_LAB_AHEAD=1 forces it)"
        )
    return True, (
        f"ex05's training runs on two workers at once ({cpus:g} CPUs, {memory:.0f} MB "
        "available; LSTM_LAB_AHEAD=0 turns it off)"
    )


class Ahead:
    """Runs ``plan`` (``[(key, exercise, work)]``) on ``proxy`` in a thread, last first.

    ``take(key)`` is for the tests' thread: ``None`` if the run was not started here (it is then
    struck from the plan: the caller runs it), else a function that returns its value or
    raises what it raised, after waiting for it to finish.
    """

    def __init__(self, proxy, plan):
        self.proxy = proxy
        self._pending: OrderedDict = OrderedDict()
        for key, exercise, work in plan:
            self._pending.setdefault(key, (exercise, work))
        self._started: dict = {}  # key -> threading.Event, set when done
        self._done: dict = {}  # key -> (value, exception)
        self._lock = threading.Lock()
        self._stop = False
        self.ran: list = []  # the keys run here, in order
        self.read: set = set()  # the keys whose runs a test took from here
        self._thread = threading.Thread(target=self._loop, name="lstm-lab-ahead", daemon=True)

    def start(self) -> Ahead:
        if self._pending:
            self._thread.start()
        return self

    def _loop(self) -> None:
        from .proxy import BUDGET

        while True:
            with self._lock:
                if self._stop or not self._pending:
                    return
                key, (exercise, work) = self._pending.popitem(last=True)
                done = self._started[key] = threading.Event()
            try:
                with BUDGET.working_for(exercise):
                    outcome = (work(self.proxy), None)
            except BaseException as exc:  # noqa: BLE001 - handed to the test that reads the run
                outcome = (None, exc)
            with self._lock:
                self._done[key] = outcome
                self.ran.append(key)
            done.set()

    def take(self, key):
        with self._lock:
            done = self._started.get(key)
            if done is None:
                self._pending.pop(key, None)
                return None
        done.wait()
        with self._lock:
            self.read.add(key)

        def outcome():
            value, exc = self._done[key]
            if exc is not None:
                raise exc
            return value

        return outcome

    def summary(self) -> str:
        """What it did, for the grade's notes; a run trained here that no test read means a
        test module plans a run its test does not read (see ``runs_ahead``)."""
        unread = [key for key in self.ran if key not in self.read]
        text = f"{len(self.ran)} training runs were done ahead on the second worker"
        if unread:
            text += f"; {len(unread)} of them never read: {unread[:3]}"
        return text

    def close(self) -> None:
        """Stop: a run still going ends with its worker (tests stopped early, ``-x``)."""
        with self._lock:
            self._stop = True
            self._pending.clear()
        if self._thread.is_alive():
            pid = self.proxy.pid
            if pid is not None:
                try:
                    os.killpg(pid, signal.SIGKILL)  # the run fails at once as a crash
                except OSError:
                    pass
            self._thread.join(timeout=60)
        self.proxy.close()
