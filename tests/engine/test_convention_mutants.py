"""The conventions' self-test: ``tests/mutants/conv_*.py`` against ``test_conventions.py``.

The files have the header of every mutant (``MODULE``, ``KIND``, ``CATCHES``, ``SLOW``:
``tests/mutants/test_mutants.py`` explains it) and are grafted onto a copy of ``solutions/`` the
same way. They are judged here, not there, because what they prove is in
``test_conventions.py``, which that self-test does not run. A grading run takes the tests that
name a function the mutant defines (``-k``): the conventions' checks of that function, its own
tests in ``test_<module>.py`` and its hidden differential checks (fast tests only). A mistake
passes when every test it names fails; a variant when none of those tests fails or errs.

Mutants of different modules share a run (one per module in each), as in ``test_mutants``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "tests" / "mutants"
RUBRIC = ROOT / "tests" / "rubric"
HIDDEN = ROOT / "tests" / "hidden" / "test_against_solutions.py"
PRELOAD_WITHOUT_KERAS = "numpy,pandas,sklearn.model_selection,lstm_lab.data"

if not (ROOT / "solutions").is_dir():
    pytest.skip("the self-test builds its targets from solutions/", allow_module_level=True)

sys.path.insert(0, str(MUTANTS))
from test_mutants import Mutant, build_target, matching  # noqa: E402


def defined(mutant: Mutant) -> tuple[str, ...]:
    """The public functions and classes a mutant file defines: the ones it replaces."""
    tree = ast.parse(mutant.path.read_text())
    return tuple(
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    )


def read() -> list[Mutant]:
    return [Mutant.read(path) for path in sorted(MUTANTS.glob("conv_*.py"))]


FOUND = read()


def batches(found: list[Mutant]) -> dict[str, list[Mutant]]:
    """At most one mutant of each module per run."""
    by_module: dict[str, list[Mutant]] = {}
    for mutant in found:
        by_module.setdefault(mutant.module, []).append(mutant)
    runs: dict[str, list[Mutant]] = {}
    for i in range(max((len(v) for v in by_module.values()), default=0)):
        runs[f"conv{i}"] = [v[i] for v in by_module.values() if i < len(v)]
    return runs


BATCHES = batches(FOUND)
_GRADED: dict[str, object] = {}


def grade(mutants: list[Mutant], directory: Path) -> dict[str, str]:
    """``{test name with its case: passed|failed|error|skipped}`` of one run on a target that
    carries ``mutants``."""
    target = build_target(mutants, directory)
    report = directory / "junit.xml"
    names = sorted({name for m in mutants for name in defined(m)})
    files = [RUBRIC / "test_conventions.py"]
    files += [RUBRIC / f"test_{m}.py" for m in sorted({m.module for m in mutants})]
    files += [HIDDEN] if HIDDEN.is_file() else []
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "LSTM_LAB_TARGET", "HYPOTHESIS_PROFILE"))
    }
    env.update(TF_CPP_MIN_LOG_LEVEL="3", HYPOTHESIS_PROFILE="grading")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(MUTANTS), env.get("PYTHONPATH")]))
    if all(m.module in ("ex02_windows", "ex03_labels") for m in mutants):
        env.setdefault("LSTM_LAB_PRELOAD", PRELOAD_WITHOUT_KERAS)
    command = [
        sys.executable, "-m", "pytest", *map(str, files), "--target", str(target),
        "-m", "not slow", "-k", " or ".join(names), f"--junitxml={report}", "-q",
        "-p", "no:cacheprovider", "-p", "no_shrinking",
    ]  # fmt: skip
    run = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600 * len(mutants)
    )
    if run.returncode not in (0, 1) or not report.is_file():
        pytest.fail(
            f"the suite did not run (exit {run.returncode}):\n{run.stdout[-3000:]}\n"
            f"{run.stderr[-3000:]}",
            pytrace=False,
        )
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        status = next(
            (tag for tag in ("error", "failure", "skipped") if case.find(tag) is not None),
            "passed",
        )
        outcomes[case.get("name")] = "failed" if status == "failure" else status
    return outcomes


def outcomes_of(key: str, tmp_path_factory) -> dict[str, str]:
    if key not in _GRADED:
        try:
            _GRADED[key] = grade(BATCHES[key], tmp_path_factory.mktemp(key))
        except pytest.fail.Exception as failure:
            _GRADED[key] = failure
    graded = _GRADED[key]
    if isinstance(graded, BaseException):
        pytest.fail(str(graded), pytrace=False)
    return graded


def own(mutant: Mutant, outcomes: dict[str, str]) -> dict[str, str]:
    """The outcomes of the tests of the functions the mutant replaces."""
    return {
        name: status
        for name, status in outcomes.items()
        if any(function in name for function in defined(mutant))
    }


def params() -> list:
    return [
        pytest.param(m, key, id=m.path.stem, marks=pytest.mark.xdist_group(f"conv-{key}"))
        for key, group in BATCHES.items()
        for m in group
    ]


def test_there_are_mistakes_and_variants_of_every_kind():
    kinds = {(m.kind, m.module) for m in FOUND}
    assert {kind for kind, _ in kinds} == {"mistake", "variant"}
    assert len(FOUND) >= 10
    assert all(not m.slow for m in FOUND), "conventions' mutants are judged on fast tests"


@pytest.mark.parametrize("mutant, batch", params())
def test_the_conventions_judge_the_mutant(mutant, batch, tmp_path_factory):
    outcomes = own(mutant, outcomes_of(batch, tmp_path_factory))
    label = f"{mutant.kind} {mutant.path.name} ({mutant.what})"
    assert outcomes, f"{label}: none of its tests ran"
    errors = sorted(name for name, status in outcomes.items() if status == "error")
    assert not errors, f"{label}: tests errored: {errors}"
    conventions = [name for name in outcomes if "refuses_bad_input_by_name" in name]
    if mutant.kind == "variant":
        assert conventions, f"{label}: no bad-input check of the conventions ran"
        lost = sorted(name for name, status in outcomes.items() if status == "failed")
        assert not lost, f"the suite is too strict: the correct {label} lost points in {lost}"
        return
    for name in mutant.catches:
        cases = matching(outcomes, name)
        assert cases, f"{label}: CATCHES names {name}, which did not run"
        survived = sorted(case for case, status in cases.items() if status != "failed")
        assert not survived, f"the mistake survived: {label} passed {survived}"


def test_the_conventions_know_how_the_proxy_words_an_unsendable_answer():
    # A function that accepts bad input and returns a model is told "it returned", not "it
    # raised TypeError": test_conventions.UNSENDABLE must be the start of the proxy's wording.
    import re

    from lstm_lab.grading import errors

    prefix = re.search(r'UNSENDABLE = "([^"]+)"', (RUBRIC / "test_conventions.py").read_text())
    error = errors.from_answer({"kind": "unsendable", "message": "Sequential"}, "ex04.f")
    assert prefix and error.message.startswith(prefix[1]), error.message
