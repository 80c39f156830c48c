"""The grade's time: one deadline, each exercise's share of it, what each spent; the test running.

``BUDGET`` (started by the grading plugin from the ``time_limit`` and ``exercise_time_limit``
settings) bounds the whole grade and the time each exercise's calls into an untrusted target
may take in all (``errors.OutOfTime``), so a slow exercise cannot starve the others. The proxy
asks it how long a call may take (``remaining``) and charges what the call took (``charge``).

``new_test``/``test_number`` count the tests as they start: within one test the proxy answers a
function that is not implemented without asking the worker again.
"""

from __future__ import annotations

import contextlib
import threading
import time

#: The Gradescope zip's default time per exercise (seconds of calls into the submission): at
#: least four times what the reference took at half a CPU (benchmarks/grade.py --gradescope:
#: ex01 15 s, ex04 6 s, ex05 66 s), so that an endless loop in one exercise leaves the others
#: their time inside the 10 minutes. Re-run the benchmark when the suite changes.
EXERCISE_TIME_LIMITS = {
    "ex01_lifecycle": 120,
    "ex02_windows": 60,
    "ex03_labels": 60,
    "ex04_stateful": 60,
    "ex05_training": 300,
}

#: Each trainer's share of its exercise's time limit, where an exercise has one: its calls may
#: take at most that share, so one slow function cannot spend another's time, and a function
#: that runs out is named with its own time. The functions of an exercise not listed here share
#: what is left of it. Set from what the reference's calls took per function (a grade's
#: ``extra_data.function_seconds``, 2026-12-01, 2 cores): run_lifecycle 93 % of ex01's time;
#: train_stateful 58 %, train_stateless 25 %, train_per_timestep 17 % of ex05's. The shares keep
#: each trainer about the same margin, 4.4-4.9 times its time at half a CPU.
FUNCTION_SHARES = {
    "ex01_lifecycle.run_lifecycle": 0.9,
    "ex05_training.train_stateful": 0.58,
    "ex05_training.train_stateless": 0.24,
    "ex05_training.train_per_timestep": 0.18,
}


def share(function: str, limit: float | None) -> float | None:
    """``function``'s part of its exercise's ``limit`` (``FUNCTION_SHARES``; the functions of an
    exercise not listed share what the listed ones leave), or ``None`` where the exercise has no
    limit or no shares."""
    module = function.split(".", 1)[0]
    listed = {f: s for f, s in FUNCTION_SHARES.items() if f.startswith(module + ".")}
    if limit is None or not listed:
        return None
    if function in listed:
        return limit * listed[function]
    return limit * max(0.0, 1.0 - sum(listed.values()))


class Budget:
    """Time limits across all proxies of this judge, and what each exercise spent.

    ``deadline`` (a ``time.monotonic()`` value) ends every call; ``per_exercise`` bounds the time
    an untrusted target's calls may take while the tests of one exercise run (the grading plugin
    says which, in ``exercise``): seconds for every exercise, or ``{module: seconds}`` with
    ``"*"`` for the others. A thread that works for one exercise while the tests of another run
    (``ahead``) says so with ``working_for``: its calls are charged to that exercise.
    """

    def __init__(self):
        self.deadline: float | None = None
        self.total: float | None = None
        self.per_exercise: float | dict | None = None
        self._exercise: str | None = None
        self._local = threading.local()
        self._charging = threading.Lock()
        self.spent: dict[str, float] = {}
        #: What each target function's calls took (``module.function``), every exercise, and
        #: the CPU seconds its workers used for them.
        self.spent_by_function: dict[str, float] = {}
        self.cpu_by_function: dict[str, float] = {}

    @property
    def exercise(self) -> str | None:
        """The exercise whose tests are running, or the one this thread works for."""
        return getattr(self._local, "exercise", self._exercise)

    @exercise.setter
    def exercise(self, module: str | None) -> None:
        self._exercise = module

    @contextlib.contextmanager
    def working_for(self, module: str | None):
        """Charge this thread's calls to ``module`` while the block runs."""
        local = self._local
        local.exercise = module
        try:
            yield
        finally:
            local.__dict__.pop("exercise", None)

    def reset(self) -> None:
        self.__init__()

    def start(self, total: float | None = None, per_exercise=None) -> None:
        """Begin a grade of at most ``total`` seconds, ``per_exercise`` for each exercise."""
        self.reset()
        self.total, self.per_exercise = total, per_exercise
        if total is not None:
            self.deadline = time.monotonic() + total

    def exercise_limit(self, module: str | None) -> float | None:
        """The seconds ``module``'s calls may take in all, or ``None``."""
        if isinstance(self.per_exercise, dict):
            return self.per_exercise.get(module, self.per_exercise.get("*"))
        return self.per_exercise

    def function_limit(self, function: str | None) -> float | None:
        """The seconds the calls of ``function`` (``module.function``) may take in all (its
        ``share`` of its exercise's limit), or ``None``."""
        if not function or "." not in function:
            return None
        return share(function, self.exercise_limit(function.split(".", 1)[0]))

    def limit_of(self, scope: str | None) -> float:
        """The seconds ``scope`` (an exercise, a function, or "the grade") may take in all."""
        if scope == "the grade":
            return self.total or 0.0
        if scope and "." in scope:
            return self.function_limit(scope) or 0.0
        return self.exercise_limit(scope) or 0.0

    def remaining(self, charged: bool, function: str | None = None) -> tuple[float, str | None]:
        """Seconds left for a call (of ``function``), and what limits it (``None``: nothing)."""
        left, scope = float("inf"), None
        if self.deadline is not None:
            left, scope = self.deadline - time.monotonic(), "the grade"
        limit = self.exercise_limit(self.exercise) if self.exercise is not None else None
        if charged and limit is not None:
            mine = limit - self.spent.get(self.exercise, 0.0)
            if mine < left:
                left, scope = mine, self.exercise
        share = self.function_limit(function) if charged else None
        if share is not None and share - self.spent_by_function.get(function, 0.0) < left:
            left, scope = share - self.spent_by_function.get(function, 0.0), function
        return left, scope

    def charge(self, seconds: float, function: str | None = None, cpu: float | None = None):
        """Charge a call's ``seconds`` (and the CPU seconds its worker used, where known) to the
        exercise running and to ``function``."""
        exercise = self.exercise
        with self._charging:
            if exercise is not None:
                self.spent[exercise] = self.spent.get(exercise, 0.0) + seconds
            if function:
                self.spent_by_function[function] = (
                    self.spent_by_function.get(function, 0.0) + seconds
                )
            if cpu is not None and function:
                self.cpu_by_function[function] = self.cpu_by_function.get(function, 0.0) + cpu


#: The CPUs of the submitted grade's box: Gradescope's default container has half a CPU.
BOX_CPUS = 0.5


def predicted_overruns(cpu_by_function: dict, limits: dict, box_cpus: float = BOX_CPUS):
    """Lines warning of the time limits a submitted grade would apply (``limits`` per exercise,
    each trainer's share of it): each exercise and each function whose calls used more CPU here
    than fits there. A grade's time there is at least its CPU time over the box's CPUs, however
    fast or busy this machine is. Empty when everything fits."""
    lines = []
    by_exercise: dict[str, float] = {}
    for function, cpu in cpu_by_function.items():
        module = function.split(".", 1)[0]
        by_exercise[module] = by_exercise.get(module, 0.0) + cpu
    for exercise, limit in limits.items():
        there = by_exercise.get(exercise, 0.0) / box_cpus
        if there > limit:
            lines.append(
                f"{exercise}: its calls used {by_exercise[exercise]:.0f} s of CPU here, so at "
                f"least {there:.0f} s on the grader's {box_cpus:g} CPU, over its {limit:g} s: "
                "the tests left when it runs out would fail there"
            )
    for function, cpu in sorted(cpu_by_function.items()):
        part = share(function, limits.get(function.split(".", 1)[0]))
        if part is not None and cpu / box_cpus > part:
            lines.append(
                f"{function}: its calls used {cpu:.0f} s of CPU here, so at least "
                f"{cpu / box_cpus:.0f} s on the grader's {box_cpus:g} CPU, over its share of "
                f"{part:.0f} s: its tests left then would fail there"
            )
    return lines


def parse_exercise_limits(values) -> float | dict | None:
    """``["120", "ex05_training=400"]`` -> ``{"*": 120.0, "ex05_training": 400.0}``.

    A bare number is the limit of every exercise not named; ``ValueError`` for anything else.
    """
    from ..target import MODULES

    limits: dict[str, float] = {}
    for value in values or []:
        module, _, seconds = str(value).rpartition("=")
        module = module or "*"
        if module != "*" and module not in MODULES:
            raise ValueError(f"exercise time limits name exercise modules, got {module!r}")
        limits[module] = float(seconds)
    if not limits:
        return None
    return limits


BUDGET = Budget()
#: The test running, counted by ``new_test`` (the fixtures call it before each test).
_TEST = {"number": 0}


def new_test() -> None:
    """A new test begins: calls remembered as not implemented are made again."""
    _TEST["number"] += 1


def test_number() -> int:
    """The number of the test running (0 before the first)."""
    return _TEST["number"]
