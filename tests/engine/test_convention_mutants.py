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
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "tests" / "mutants"
RUBRIC = ROOT / "tests" / "rubric"
HIDDEN = ROOT / "tests" / "hidden" / "test_against_solutions.py"

if not (ROOT / "solutions").is_dir():
    pytest.skip("the self-test builds its targets from solutions/", allow_module_level=True)

sys.path.insert(0, str(MUTANTS))
from test_mutants import Mutant, batches, matching, run_suite  # noqa: E402


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


BATCHES = batches(FOUND)
_GRADED: dict[str, object] = {}


def grade(mutants: list[Mutant], directory: Path) -> dict[str, str]:
    """``{test name with its case: passed|failed|error|skipped}`` of one run on a target that
    carries ``mutants``: the conventions' checks, the modules' own tests and the hidden ones,
    fast tests only, those naming a function the mutants define."""
    names = sorted({name for m in mutants for name in defined(m)})
    files = [RUBRIC / "test_conventions.py"]
    files += [RUBRIC / f"test_{m}.py" for m in sorted({m.module for m in mutants})]
    files += [HIDDEN] if HIDDEN.is_file() else []
    selection = [*map(str, files), "-m", "not slow", "-k", " or ".join(names)]
    outcomes = run_suite(mutants, directory, selection, 600 * len(mutants))
    return {name: status for (_, name), status in outcomes.items()}


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
