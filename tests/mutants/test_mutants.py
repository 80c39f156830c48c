"""The suite's self-test: a student's real mistakes must lose points; right answers written
differently must keep full marks.

Each file in ``tests/mutants/`` holds replacement definitions for one exercise module, under a
header (read here with ``ast``, never imported)::

    MODULE = "ex02_windows"   # the module it replaces definitions of
    KIND = "mistake"          # or "variant": a correct answer written another way
    CATCHES = ["test_..."]    # mistakes: tests that must fail ("test_x[id]" names one case;
                              # a bare name means every case of that test)
    SLOW = False              # True: runs only the CATCHES tests (training), marked slow

A target is a copy of ``solutions/`` with the file appended to its module, so that its
definitions replace the reference ones (and the module's other functions call them). The suite
then grades it in a subprocess: the module's test file (its fast tests) and the hidden
differential checks of that module, or, for a slow mutant, only the tests it names. A mistake
passes this self-test when every test it names fails and nothing errs; a variant, when nothing
fails or errs. Hypothesis uses the grading profile, so the verdicts are the ones students get
(without shrinking failing examples: ``mutants/no_shrinking.py``). A test the inner run skips
(a Keras backend that cannot run it) neither catches nor loses; when all it names are skipped,
the mutant's verdict is skipped too.

Fast mutants of different modules share a target (``batches``): the tests of ex01-ex04 each
call only their own module, so one subprocess judges one mutant per module at once, and each
mutant reads only the outcomes of its own module's tests. That cuts the subprocesses (each pays
for starting pytest and importing TensorFlow) from one per mutant to one per batch.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from lstm_lab.target import MODULES

MUTANTS = Path(__file__).resolve().parent
TESTS = MUTANTS.parent
ROOT = TESTS.parent
SOLUTIONS = ROOT / "solutions"
RUBRIC = TESTS / "rubric"
HIDDEN = TESTS / "hidden" / "test_against_solutions.py"
KINDS = ("mistake", "variant")
#: Seconds one grading run may take (a slow mutant trains).
TIMEOUT = {False: 600, True: 1800}
#: What the zygote preloads when the module graded never mentions Keras (ex02, ex03): those runs
#: skip importing TensorFlow, most of their time.
PRELOAD_WITHOUT_KERAS = "numpy,pandas,sklearn.model_selection,lstm_lab.data"

if not SOLUTIONS.is_dir():
    pytest.skip("the self-test builds its targets from solutions/", allow_module_level=True)


@dataclass(frozen=True)
class Mutant:
    path: Path
    module: str
    kind: str
    catches: tuple[str, ...]
    slow: bool
    what: str

    @classmethod
    def read(cls, path: Path) -> Mutant:
        tree = ast.parse(path.read_text(), filename=str(path))
        header = {
            node.targets[0].id: ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("MODULE", "KIND", "CATCHES", "SLOW")
        }
        doc = ast.get_docstring(tree) or ""
        mutant = cls(
            path=path,
            module=header.get("MODULE", ""),
            kind=header.get("KIND", ""),
            catches=tuple(header.get("CATCHES", ())),
            slow=bool(header.get("SLOW", False)),
            what=" ".join(doc.split("\n\n")[0].split()),
        )
        problems = mutant.problems(tree)
        if problems:
            raise ValueError(f"{path.name}: {'; '.join(problems)}")
        return mutant

    def problems(self, tree: ast.Module) -> list[str]:
        """What is wrong with the file's header (a broken self-test must not pass quietly)."""
        found = []
        if self.module not in MODULES:
            found.append(f"MODULE must be one of {MODULES}, got {self.module!r}")
        if self.kind not in KINDS:
            found.append(f"KIND must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "mistake" and not self.catches:
            found.append("a mistake must name the tests that catch it in CATCHES")
        if self.kind == "variant" and (self.catches or self.slow):
            found.append("a variant catches nothing and runs the module's fast tests (SLOW False)")
        if not self.what:
            found.append("the docstring must say what the mistake or variant is")
        if any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body):
            found.append("no __future__ imports: the file is appended to a module")
        return found

    def selection(self) -> list[str]:
        """The pytest arguments that choose the tests graded."""
        visible = (RUBRIC / f"test_{self.module}.py").relative_to(ROOT).as_posix()
        if self.slow:
            return [f"{visible}::{name}" for name in self.catches]
        return [visible, *hidden_tests(self.module), "-m", "not slow"]


def hidden_tests(module: str) -> list[str]:
    """Node ids of the hidden tests marked ``exercise(module, ...)``."""
    if not HIDDEN.is_file():
        return []
    ids = []
    for node in ast.parse(HIDDEN.read_text()).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and getattr(decorator.func, "id", None) == "exercise"
                and decorator.args
                and getattr(decorator.args[0], "value", None) == module
            ):
                ids.append(f"{HIDDEN.relative_to(ROOT).as_posix()}::{node.name}")
    return ids


def build_target(mutants: list[Mutant], directory: Path) -> Path:
    """A copy of solutions/ whose modules end with the mutants' definitions."""
    target = directory / "target"
    target.mkdir()
    for source in SOLUTIONS.glob("*.py"):
        shutil.copy(source, target / source.name)
    for mutant in mutants:
        module = target / f"{mutant.module}.py"
        grafted = f"\n\n# ---- grafted from tests/mutants/{mutant.path.name} ----\n"
        module.write_text(module.read_text() + grafted + mutant.path.read_text())
    return target


def grade(mutants: list[Mutant], directory: Path) -> dict[tuple[str, str], str]:
    """Run the suite on a target carrying ``mutants`` (at most one per module):
    ``{(test file stem, test name): passed|failed|error|skipped}``."""
    selection = []
    for mutant in mutants:
        selection += [arg for arg in mutant.selection() if arg not in selection]
    timeout = TIMEOUT[any(m.slow for m in mutants)] * len(mutants)
    return run_suite(mutants, directory, selection, timeout)


def run_suite(mutants: list[Mutant], directory: Path, selection: list[str], timeout: float):
    """pytest ``selection`` (paths and options) in a subprocess, on a target carrying
    ``mutants``: ``{(test file stem, test name): passed|failed|error|skipped}``, read from its
    JUnit report. (``tests/engine/test_convention_mutants.py`` runs its own selection with it.)"""
    target = build_target(mutants, directory)
    report = directory / "junit.xml"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "LSTM_LAB_TARGET", "HYPOTHESIS_PROFILE"))
    }
    env.update(TF_CPP_MIN_LOG_LEVEL="3", HYPOTHESIS_PROFILE="grading")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(MUTANTS), env.get("PYTHONPATH")]))
    if not any("keras" in (target / f"{m.module}.py").read_text() for m in mutants):
        env.setdefault("LSTM_LAB_PRELOAD", PRELOAD_WITHOUT_KERAS)
    names = ", ".join(m.path.name for m in mutants)
    command = [
        sys.executable, "-m", "pytest", *selection, "--target", str(target),
        f"--junitxml={report}", "-q", "-p", "no:cacheprovider", "-p", "no_shrinking",
    ]  # fmt: skip
    run = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if run.returncode not in (0, 1) or not report.is_file():
        pytest.fail(
            f"{names}: the suite did not run (exit {run.returncode}):\n"
            f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}",
            pytrace=False,
        )
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        status = next(
            (tag for tag in ("error", "failure", "skipped") if case.find(tag) is not None),
            "passed",
        )
        stem = (case.get("classname") or "").rsplit(".", 1)[-1]
        outcomes[stem, case.get("name")] = "failed" if status == "failure" else status
    if not outcomes:
        pytest.fail(f"{names}: no test ran:\n{run.stdout[-3000:]}", pytrace=False)
    return outcomes


def own_outcomes(mutant: Mutant, outcomes: dict[tuple[str, str], str]) -> dict[str, str]:
    """The outcomes of the tests that judge ``mutant``'s module: ``{test name: status}``."""
    hidden = {node.split("::")[-1] for node in hidden_tests(mutant.module)}
    return {
        name: status
        for (stem, name), status in outcomes.items()
        if stem == f"test_{mutant.module}" or (stem == HIDDEN.stem and name.split("[")[0] in hidden)
    }


def matching(outcomes: dict[str, str], name: str) -> dict[str, str]:
    """The outcomes of test ``name``: one case if it says ``[id]``, else all its cases."""
    return {
        case: status
        for case, status in outcomes.items()
        if case == name or ("[" not in name and case.split("[")[0] == name)
    }


def batches(found: list[Mutant]) -> dict[str, list[Mutant]]:
    """Fast mutants grouped one per module (the i-th of each module together); slow ones alone."""
    grouped: dict[str, list[Mutant]] = {}
    fast: dict[str, list[Mutant]] = {}
    for mutant in found:
        if mutant.slow:
            grouped[mutant.path.stem] = [mutant]
        else:
            fast.setdefault(mutant.module, []).append(mutant)
    for i in range(max((len(v) for v in fast.values()), default=0)):
        grouped[f"batch{i}"] = [v[i] for v in fast.values() if i < len(v)]
    return grouped


def read_mutants() -> tuple[list[Mutant], list[tuple[str, str]]]:
    """The mutant files that read, and ``(name, problem)`` for those whose header is broken."""
    found, broken = [], []
    for path in sorted(MUTANTS.glob("ex*.py")):
        try:
            found.append(Mutant.read(path))
        except (SyntaxError, ValueError) as error:
            broken.append((path.stem, str(error)))
    return found, broken


FOUND, BROKEN = read_mutants()
BATCHES = batches(FOUND)


def mutants() -> list:
    """One param per mutant file; a file whose header is broken fails its test, not collection."""
    params = [pytest.param(problem, None, id=name) for name, problem in BROKEN]
    for key, group in BATCHES.items():
        for mutant in group:
            marks = [pytest.mark.xdist_group(f"mutants-{key}")] + [pytest.mark.slow] * mutant.slow
            params.append(pytest.param(mutant, key, id=mutant.path.stem, marks=marks))
    return sorted(params, key=lambda p: p.id)


#: Each batch's outcomes, graded once per process (a batch's tests share an xdist group).
_GRADED: dict[str, object] = {}


def batch_outcomes(key: str, tmp_path_factory) -> dict[tuple[str, str], str]:
    if key not in _GRADED:
        try:
            _GRADED[key] = grade(BATCHES[key], tmp_path_factory.mktemp(f"mutants-{key}"))
        except pytest.fail.Exception as failure:
            _GRADED[key] = failure
    graded = _GRADED[key]
    if isinstance(graded, BaseException):
        pytest.fail(str(graded), pytrace=False)
    return graded


@pytest.mark.parametrize("mutant, batch", mutants())
def test_suite_judges_mutant(mutant, batch, tmp_path_factory):
    if isinstance(mutant, str):
        pytest.fail(f"broken mutant file: {mutant}", pytrace=False)
    outcomes = own_outcomes(mutant, batch_outcomes(batch, tmp_path_factory))
    label = f"{mutant.kind} {mutant.path.name} ({mutant.what})"
    if not outcomes:
        pytest.fail(f"{label}: none of its module's tests ran", pytrace=False)
    errors = sorted(name for name, status in outcomes.items() if status == "error")
    if errors:
        pytest.fail(
            f"{label}: tests errored instead of passing or failing: {errors}", pytrace=False
        )
    if mutant.kind == "variant":
        lost = sorted(name for name, status in outcomes.items() if status == "failed")
        if lost:
            pytest.fail(
                f"the suite is too strict: the correct {label} lost points in {lost}",
                pytrace=False,
            )
        if all(status == "skipped" for status in outcomes.values()):
            pytest.skip(f"{label}: every test of its module was skipped here")
        return
    skipped = []
    for name in mutant.catches:
        cases = matching(outcomes, name)
        if not cases:
            pytest.fail(f"{label}: CATCHES names {name}, which did not run", pytrace=False)
        ran = {case: status for case, status in cases.items() if status != "skipped"}
        if not ran:
            skipped.append(name)
            continue
        survived = sorted(case for case, status in ran.items() if status != "failed")
        if survived:
            pytest.fail(
                f"the mistake survived: {label} passed {survived}, which should catch it",
                pytrace=False,
            )
    if skipped and len(skipped) == len(mutant.catches):
        pytest.skip(f"{label}: the tests that catch it were skipped here: {skipped}")
