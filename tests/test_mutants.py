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
(without shrinking failing examples: ``mutants/no_shrinking.py``).
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

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SOLUTIONS = ROOT / "solutions"
MUTANTS = TESTS / "mutants"
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
        visible = (TESTS / f"test_{self.module}.py").relative_to(ROOT).as_posix()
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


def build_target(mutant: Mutant, directory: Path) -> Path:
    """A copy of solutions/ whose ``mutant.module`` ends with the mutant's definitions."""
    target = directory / "target"
    target.mkdir()
    for source in SOLUTIONS.glob("*.py"):
        shutil.copy(source, target / source.name)
    module = target / f"{mutant.module}.py"
    grafted = f"\n\n# ---- grafted from tests/mutants/{mutant.path.name} ----\n"
    module.write_text(module.read_text() + grafted + mutant.path.read_text())
    return target


def grade(mutant: Mutant, directory: Path) -> dict[str, str]:
    """Run the suite on the mutant's target: ``{test name: passed|failed|error|skipped}``."""
    target = build_target(mutant, directory)
    report = directory / "junit.xml"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "LSTM_LAB_TARGET", "HYPOTHESIS_PROFILE"))
    }
    env.update(TF_CPP_MIN_LOG_LEVEL="3", HYPOTHESIS_PROFILE="grading")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(MUTANTS), env.get("PYTHONPATH")]))
    if "keras" not in (target / f"{mutant.module}.py").read_text():
        env.setdefault("LSTM_LAB_PRELOAD", PRELOAD_WITHOUT_KERAS)
    command = [
        sys.executable, "-m", "pytest", *mutant.selection(), "--target", str(target),
        f"--junitxml={report}", "-q", "-p", "no:cacheprovider", "-p", "no_shrinking",
    ]  # fmt: skip
    run = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT[mutant.slow]
    )
    if run.returncode not in (0, 1) or not report.is_file():
        pytest.fail(
            f"{mutant.path.name}: the suite did not run (exit {run.returncode}):\n"
            f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}",
            pytrace=False,
        )
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        status = next(
            (tag for tag in ("error", "failure", "skipped") if case.find(tag) is not None),
            "passed",
        )
        outcomes[case.get("name")] = "failed" if status == "failure" else status
    if not outcomes:
        pytest.fail(f"{mutant.path.name}: no test ran:\n{run.stdout[-3000:]}", pytrace=False)
    return outcomes


def matching(outcomes: dict[str, str], name: str) -> dict[str, str]:
    """The outcomes of test ``name``: one case if it says ``[id]``, else all its cases."""
    return {
        case: status
        for case, status in outcomes.items()
        if case == name or ("[" not in name and case.split("[")[0] == name)
    }


def mutants() -> list:
    """One param per mutant file; a file whose header is broken fails its test, not collection."""
    params = []
    for path in sorted(MUTANTS.glob("ex*.py")):
        try:
            mutant = Mutant.read(path)
        except (SyntaxError, ValueError) as error:
            params.append(pytest.param(str(error), id=path.stem))
            continue
        params.append(pytest.param(mutant, id=path.stem, marks=[pytest.mark.slow] * mutant.slow))
    return params


@pytest.mark.parametrize("mutant", mutants())
def test_suite_judges_mutant(mutant, tmp_path):
    if isinstance(mutant, str):
        pytest.fail(f"broken mutant file: {mutant}", pytrace=False)
    outcomes = grade(mutant, tmp_path)
    label = f"{mutant.kind} {mutant.path.name} ({mutant.what})"
    errors = sorted(name for name, status in outcomes.items() if status == "error")
    if errors:
        pytest.fail(
            f"{label}: tests errored instead of passing or failing: {errors}", pytrace=False
        )
    if mutant.kind == "variant":
        lost = sorted(name for name, status in outcomes.items() if status != "passed")
        if lost:
            pytest.fail(
                f"the suite is too strict: the correct {label} lost points in {lost}",
                pytrace=False,
            )
        return
    for name in mutant.catches:
        cases = matching(outcomes, name)
        if not cases:
            pytest.fail(f"{label}: CATCHES names {name}, which did not run", pytrace=False)
        survived = sorted(case for case, status in cases.items() if status != "failed")
        if survived:
            pytest.fail(
                f"the mistake survived: {label} passed {survived}, which should catch it",
                pytrace=False,
            )
