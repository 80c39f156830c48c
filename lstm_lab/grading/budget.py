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

    def limit_of(self, scope: str | None) -> float:
        """The seconds ``scope`` (an exercise, or "the grade") may take in all."""
        return (self.total if scope == "the grade" else self.exercise_limit(scope)) or 0.0

    def remaining(self, charged: bool) -> tuple[float, str | None]:
        """Seconds left for a call, and what limits it (``None``: nothing)."""
        left, scope = float("inf"), None
        if self.deadline is not None:
            left, scope = self.deadline - time.monotonic(), "the grade"
        limit = self.exercise_limit(self.exercise) if self.exercise is not None else None
        if charged and limit is not None:
            mine = limit - self.spent.get(self.exercise, 0.0)
            if mine < left:
                left, scope = mine, self.exercise
        return left, scope

    def charge(self, seconds: float) -> None:
        exercise = self.exercise
        if exercise is not None:
            with self._charging:
                self.spent[exercise] = self.spent.get(exercise, 0.0) + seconds


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
