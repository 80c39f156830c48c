"""The suite's set-up: which target it grades, the workers that run it, hypothesis profiles.

    pytest                         grades solutions/ (the reference: everything must pass)
    pytest --target exercises      grades the stubs (every graded test fails: "not implemented")
    pytest --target PATH           grades any directory holding the exercise modules
    LSTM_LAB_TARGET=PATH pytest    the same, from the environment

The target's code never runs in this process: ``target`` is a ``TargetProxy`` whose worker
subprocess imports it (see lstm_lab/grading/__init__.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from lstm_lab.grading import proxy as proxy_module  # noqa: E402
from lstm_lab.grading.errors import GradingFailure  # noqa: E402
from lstm_lab.grading.proxy import Relay, TargetProxy  # noqa: E402
from lstm_lab.grading.scenarios import REFERENCE_PIECES  # noqa: E402
from lstm_lab.target import TargetError, resolve  # noqa: E402

# Grading is derandomised: the same submission gets the same examples, so the same score.
settings.register_profile(
    "grading",
    derandomize=True,
    deadline=None,
    max_examples=30,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Looking for bugs in the suite or the solutions: more and random examples.
settings.register_profile(
    "explore",
    deadline=None,
    max_examples=300,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "grading"))


def pytest_addoption(parser):
    group = parser.getgroup("lstm_lab")
    group.addoption(
        "--target",
        default=None,
        help="the directory graded: solutions (default), exercises, or a path "
        "(also from the LSTM_LAB_TARGET environment variable)",
    )


@pytest.fixture(scope="session")
def target_path(pytestconfig):
    """The directory under test."""
    name = pytestconfig.getoption("--target") or os.environ.get("LSTM_LAB_TARGET") or "solutions"
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
def target(target_path, solutions):
    """The target's functions, run in a worker process: ``target.call(module, function, ...)``.

    Where the solutions are present, the worker may ask for the reference versions of the pieces
    ex05 builds on (``scenarios.REFERENCE_PIECES``), and nothing else (``proxy.Relay``).
    """
    proxy = target_proxy(target_path, solutions)
    yield proxy
    proxy.close()


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
    from lstm_lab.grading import ahead as ahead_module

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
    from lstm_lab.grading.plugin import grade_of

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
    # A stub's "not implemented" is answered without the worker for the rest of the test only.
    proxy_module.new_test()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # A failure of the target is reported by its message alone: a student needs what went wrong
    # in their code, not the judge's stack.
    report = yield
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(GradingFailure):
        notes = getattr(call.excinfo.value, "__notes__", None) or []
        report.longrepr = "\n".join([str(call.excinfo.value), *notes])
    return report


TRAINERS = ("train_stateful", "train_stateless", "train_per_timestep")


def stateful_gaps() -> dict[str, str]:
    """What the Keras backend in use cannot do with stateful RNNs, and why (see tox.ini).

    Read from the environment and package metadata: the judge never imports Keras.
    """
    import importlib.metadata

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    try:
        version = tuple(int(p) for p in importlib.metadata.version("keras").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        version = (0, 0)
    gaps = {}
    if backend == "jax":
        gaps["carry"] = (
            "Keras on JAX does not carry a stateful RNN's state through compiled "
            "fit/evaluate/predict/*_on_batch: its state variables are untracked, so a jitted "
            "step reads them at trace time and drops their updates"
        )
    if backend == "torch" and version >= (3, 14):
        gaps["backprop"] = (
            "Keras >= 3.14 on PyTorch cannot train LSTM(stateful=True): 'one of the variables "
            "needed for gradient computation has been modified by an inplace operation'"
        )
    if backend == "torch":
        gaps.setdefault(
            "backprop", "Keras on PyTorch requires steps_per_execution == 1, the trainers use more"
        )
    return gaps


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    gaps = stateful_gaps()
    for item in items:
        for marker in item.iter_markers("needs_stateful"):
            missing = [need for need in marker.args if need in gaps]
            if missing:
                backend = os.environ.get("KERAS_BACKEND", "tensorflow")
                item.add_marker(pytest.mark.skip(reason=f"{backend}: {gaps[missing[0]]}"))
    # Tests that check one training run share it (the ``shared`` fixture, per process): keep them
    # on one xdist worker with ``--dist loadgroup``, and spread different runs across workers.
    for item in items:
        trainer = next((t for t in TRAINERS if item.name.startswith(f"test_{t}")), None)
        if trainer is None:
            continue
        params = item.callspec.params if hasattr(item, "callspec") else {}
        key = "-".join(str(params.get(k, "")) for k in ("chunk", "batch_size", "seed"))
        item.add_marker(pytest.mark.xdist_group(f"{trainer}{key}"))
