"""The suite's set-up: which target it grades, the workers that run it, hypothesis profiles.

    pytest                         grades solutions/ (the reference: everything must pass)
    pytest --target exercises      grades the stubs (every graded test fails: "not implemented")
    pytest --target PATH           grades any directory holding the exercise modules
    LSTM_LAB_TARGET=PATH pytest    the same, from the environment

The target's code never runs in this process: ``target`` is a ``TargetProxy`` whose worker
subprocess imports it (the fixtures are ``lstm_lab.grading.fixtures``; the engine's map is
lstm_lab/grading/README.md). The suite's folders: ``rubric/`` (the graded tests students get),
``hidden/`` (the grader's differential checks), ``library/``, ``engine/`` and ``mutants/`` (the
project's own tests), as ``lstm_lab.grading.suite`` declares.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

#: The engine's fixtures: ``target``, ``solutions``, ``reference``, ``shared``, ``ahead``.
pytest_plugins = ("lstm_lab.grading.fixtures",)

# Grading is derandomised: the same submission gets the same examples, so the same score.
# No "explain" phase: its report names the grader's own lines ("These lines were always and only
# run by failing test cases: .../grading/codec.py:102"), which tell a student nothing.
settings.register_profile(
    "grading",
    derandomize=True,
    deadline=None,
    max_examples=30,
    print_blob=True,
    phases=[phase for phase in Phase if phase is not Phase.explain],
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
