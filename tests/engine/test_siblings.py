"""One mistake, one penalty: a sibling module that breaks at import costs its own points only.

ex05's trainers build on ex02-ex04. On the grader ex05's worker imports the reference's pieces
in their place (``relay.stand_in_modules``), so the student's siblings never run there, and
every exercise module gets a worker of its own, so nothing a module does at import reaches
another's tests. Each grade below breaks all three siblings at once, each in another way (a
Latin square over five ways, so five grades cover every sibling with every way): each broken
sibling loses what its break costs, ex05 keeps 15/15 and ex01 21/21. In the student bundle (no
solutions: ex05 runs on the student's own pieces) ex05 fails with a message that names the
broken sibling, once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from engine_support import ROOT, clean_env, grade

from lstm_lab.grading import bundle

SIBLINGS = ("ex02_windows", "ex03_labels", "ex04_stateful")
#: Each way to break a module at import: (the code, whether its own tests must all fail).
BREAKS = {
    "syntax": ("\n\ndef unfinished(x)\n    return x\n", True),
    "raises": ("\n\nraise RuntimeError('this module breaks when it is imported')\n", True),
    "exits": ("\n\nimport sys\nsys.exit(3)\n", True),
    "builtins": (
        "\n\nimport builtins\n\ndef _gone(*args, **kwargs):\n    raise RuntimeError('gone')\n\n"
        "builtins.print = _gone\nbuiltins.open = _gone\n",
        False,
    ),
    "descriptors": (
        "\n\nimport os\nfor _fd in range(64):\n    try:\n        os.write(_fd, b'\\x7f' * 16)\n"
        "    except OSError:\n        pass\n",
        False,
    ),
}
KINDS = tuple(BREAKS)
#: Modules that must keep full marks whatever their siblings do (ex05 builds on ex02-ex04).
FULL = ("ex01_lifecycle", "ex05_training")


def broken_copy(folder, shift: int) -> tuple:
    """A copy of solutions/ whose ex02, ex03, ex04 each break in another way."""
    target = folder / "submission"
    shutil.copytree(ROOT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    ways = {}
    for i, module in enumerate(SIBLINGS):
        kind = KINDS[(shift + i) % len(KINDS)]
        path = target / f"{module}.py"
        path.write_text(path.read_text() + BREAKS[kind][0])
        ways[module] = kind
    return target, ways


@pytest.fixture(scope="module")
def reference_scores(tmp_path_factory):
    graded = grade("solutions", *siblings_args(), tmp_path=tmp_path_factory.mktemp("ref"))
    return {m: graded.module_score(m) for m in SIBLINGS}


def siblings_args() -> list[str]:
    return [a for m in SIBLINGS for a in ("--exercise", m)]


@pytest.mark.slow
@pytest.mark.needs_stateful("carry", "backprop")
@pytest.mark.parametrize("shift", range(len(KINDS)))
def test_a_sibling_broken_at_import_costs_its_own_points_only(shift, tmp_path, reference_scores):
    target, ways = broken_copy(tmp_path, shift)
    graded = grade(
        target,
        *[a for m in (*FULL, *SIBLINGS) for a in ("--exercise", m)],
        tmp_path=tmp_path,
        cheap=False,
    )
    assert graded.results is not None, graded.output
    for module in FULL:
        got, top = graded.module_score(module)
        assert top > 0 and got == top, f"{module} fell with its siblings ({ways})\n{graded.output}"
    for module, kind in ways.items():
        got, top = graded.module_score(module)
        if BREAKS[kind][1]:
            assert got == 0, f"{module} ({kind}) kept points\n{graded.output}"
        else:
            assert got <= reference_scores[module][0], f"{module} ({kind})\n{graded.output}"
    ex05 = "\n".join(t["output"] for t in graded.tests_of("ex05_training"))
    assert "Traceback" not in ex05


@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "bundle"
    bundle.release(out)
    return out


@pytest.mark.parametrize("kind", ["syntax", "raises", "exits"])
def test_in_the_bundle_ex05_names_the_broken_sibling(kind, student_bundle, tmp_path):
    target = tmp_path / "mine"
    shutil.copytree(ROOT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    path = target / "ex03_labels.py"
    path.write_text(path.read_text() + BREAKS[kind][0])
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "grade", str(target), "--no-results",
         "--exercise", "ex05_training"],
        cwd=student_bundle, env=clean_env(PYTHONPATH=student_bundle),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "ex03_labels" in line]
    assert lines, proc.stdout
    assert proc.stdout.count("Traceback") <= 1, proc.stdout
