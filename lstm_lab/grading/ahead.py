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

The ``ahead`` setting (``LSTM_LAB_AHEAD=0``/``--ahead 0``) turns it off, ``1`` on whatever the
machine; ``auto``, ``capacity`` decides.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import OrderedDict

from . import host, settings

#: A second worker training ex05 adds about 250 MB at its largest (benchmarks/README.md); with
#: the judge, the zygote, the first worker and the solutions' worker (750 MB together), a grade
#: with two workers needs about 1 GB. This leaves room for the kernel and the page cache.
MIN_MEMORY_MB = 1536
#: Two workers need two CPUs: on one, they take turns and the grade gains nothing.
MIN_CPUS = 2.0


def capacity(environ=None, cpus=None, memory_mb=None) -> tuple[bool, str]:
    """Whether this grade may train ahead on a second worker, and why (for the grade's notes).

    The ``ahead`` setting decides (``LSTM_LAB_AHEAD``, ``--ahead``; ``environ`` reads it from
    another environment); ``auto`` asks the machine. ``cpus`` and ``memory_mb`` default to what
    this process may use (``host.cpu_limit``, ``host.memory_room_mb``).
    """
    chosen = settings.current() if environ is None else settings.from_environ(environ)
    setting = chosen.ahead
    if setting == "0":
        return False, "training runs one at a time (LSTM_LAB_AHEAD=0)"
    if setting == "1":
        return True, "ex05's training runs on two workers at once (LSTM_LAB_AHEAD=1)"
    cpus = host.cpu_limit() if cpus is None else cpus
    memory = host.memory_room_mb() if memory_mb is None else memory_mb
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
        from .budget import BUDGET

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
