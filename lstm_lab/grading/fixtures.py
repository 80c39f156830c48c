"""The engine's pytest fixtures: the target and the solutions in workers, shared runs, ahead.

A suite loads them with ``pytest_plugins = ("lstm_lab.grading.fixtures",)`` in its top
``conftest.py`` (the project's ``tests/conftest.py`` does). They give every test:

- ``target``: a ``proxy.TargetProxy`` of the directory graded (``--target``, else the
  ``target`` setting, else ``solutions``), relayed to the solutions for ex05's pieces where they
  exist (``relay.Relay``); ``target_path`` is that directory.
- ``solutions`` (or ``None`` in the student bundle) and ``reference`` (skips without them).
- ``shared(key, compute)``: a value computed once per session, or the failure that prevented it,
  read from the run trained ahead on a second worker when ``ahead`` started it.

The target's code never runs in the pytest process.
"""

from __future__ import annotations

import pytest

from ..target import TargetError, resolve
from . import budget, settings
from .errors import GradingFailure
from .proxy import TargetProxy
from .relay import REFERENCE_PIECES, RELAYED, Relay


def pytest_addoption(parser):
    settings.add_pytest_options(parser, scope="suite")


@pytest.fixture(scope="session")
def target_path(pytestconfig):
    """The directory under test."""
    name = pytestconfig.getoption("--target") or settings.current().target
    try:
        return resolve(name)
    except TargetError as exc:
        pytest.exit(str(exc), returncode=4)


@pytest.fixture(scope="session")
def solutions():
    """The solutions in a worker of their own, or ``None`` where solutions/ is absent (the
    student bundle). Its worker starts on first use."""
    try:
        path = resolve("solutions")
    except TargetError:
        yield None
        return
    proxy = TargetProxy(path)
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def target(request, target_path, solutions):
    """The target's functions, run in a worker process: ``target.call(module, function, ...)``.

    Where the solutions are present, the worker may ask for the reference versions of the pieces
    ex05 builds on (``relay.REFERENCE_PIECES``), and nothing else (``relay.Relay``); the grade's
    summary then tells the student so.
    """
    if solutions is not None and _grades(request.session, RELAYED):
        pieces = ", ".join(sorted({q.split(".")[1] for q in REFERENCE_PIECES}))
        _grade_note(
            request.config,
            f"{', '.join(RELAYED)} was graded on the reference's versions of what it builds on "
            f"({pieces}), not on yours: a mistake in ex02-ex04 costs points there only",
        )
    elif _grades(request.session, RELAYED):
        _grade_note(
            request.config,
            f"{', '.join(RELAYED)} ran here on your own ex02-ex04 (there is no reference here); "
            "the submitted grade runs it on the reference's versions, so where a mistake in "
            "ex02-ex04 made it fail here, it can pass there",
        )
    proxy = target_proxy(target_path, solutions)
    yield proxy
    proxy.close()


def _grades(session, modules) -> bool:
    """Whether the session's tests grade any of ``modules``."""
    for item in session.items:
        marker = item.get_closest_marker("exercise")
        if marker is not None and marker.args and marker.args[0] in modules:
            return True
    return False


def target_proxy(target_path, solutions) -> TargetProxy:
    """A worker of the target, relayed to the solutions for ex05's pieces where they exist."""
    relay = None if solutions is None else Relay(solutions, allow=REFERENCE_PIECES)
    return TargetProxy(target_path, callbacks=relay)


@pytest.fixture(scope="session")
def reference(solutions):
    """The solutions, for the grader's differential checks only."""
    if solutions is None:
        pytest.skip("solutions/ is not present: differential checks run on the grader only")
    return solutions


class Outcome:
    """A value computed once for many tests, or the failure that prevented it.

    Shared fixtures must not error when the target fails: each test that uses the outcome fails
    with the target's own message instead (``.get()``).
    """

    def __init__(self, compute):
        try:
            self.value, self.error = compute(), None
        except GradingFailure as error:
            self.value, self.error = None, error

    def get(self):
        if self.error is not None:
            raise self.error
        return self.value


@pytest.fixture(scope="session", autouse=True)  # from the first test: ex05 overlaps ex01-ex04
def ahead(request):
    """The runs started ahead on a second worker (``lstm_lab.grading.ahead``), or ``None``.

    Only in a single pytest process (a grade, or ``pytest`` without ``-n``; under xdist the
    processes share the cores already), where the collected tests plan runs and ``capacity``
    finds room. Says which it did in the grade's notes.
    """
    from . import ahead as ahead_module

    config = request.config
    if hasattr(config, "workerinput"):  # an xdist worker
        yield None
        return
    plan = []
    for item in request.session.items:
        planner = getattr(getattr(item, "module", None), "runs_ahead", None)
        if planner is not None and item.get_closest_marker("skip") is None:
            plan += planner(item)
    if not plan:
        yield None
        return
    allowed, why = ahead_module.capacity()
    _grade_note(config, why)
    if not allowed:
        yield None
        return
    proxy = target_proxy(
        request.getfixturevalue("target_path"), request.getfixturevalue("solutions")
    )
    runner = ahead_module.Ahead(proxy, plan).start()
    yield runner
    runner.close()
    _grade_note(config, runner.summary())


def _grade_note(config, note: str) -> None:
    from .plugin import grade_of

    grade = grade_of(config)
    if grade is not None:
        grade.notes.append(note)


@pytest.fixture(scope="session")
def shared(target, ahead):
    """``shared(key, compute)``: compute once per session, remember the ``Outcome``.

    A run that ``ahead`` started on its worker is read from there instead.
    """
    cache: dict = {}

    def get(key, compute):
        if key not in cache:
            started = ahead.take(key) if ahead is not None else None
            cache[key] = Outcome(started or compute)
        return cache[key].get()

    return get


def pytest_runtest_setup(item):
    # The exercise the test grades picks the target's worker (one per exercise module); a
    # stub's "not implemented" is answered without the worker for the rest of the test only.
    marker = item.get_closest_marker("exercise")
    if marker is not None:
        budget.BUDGET.exercise = marker.args[0] if marker.args else None
    budget.new_test()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # A failure of the target is reported by its message alone: a student needs what went wrong
    # in their code, not the judge's stack.
    report = yield
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(GradingFailure):
        notes = getattr(call.excinfo.value, "__notes__", None) or []
        report.longrepr = "\n".join([str(call.excinfo.value), *notes])
    return report
