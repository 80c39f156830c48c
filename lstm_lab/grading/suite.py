"""The suite's layout, declared once: which folders of ``tests/`` are graded, shipped or kept.

    tests/conftest.py   the set-up every copy of the suite carries (profiles, the fixtures)
    tests/rubric/       the graded tests that students get (visible)
    tests/hidden/       the grader's differential checks against solutions/ (never shipped)
    tests/library/      the library's own tests
    tests/engine/       the grading engine's own tests (hostile submissions: copies of solutions)
    tests/mutants/      wrong and right variants of the solutions, and their self-test

A grade collects ``GRADED`` (``graded_paths``); the student bundle carries ``STUDENT``; the
Gradescope zip carries ``AUTOGRADER``. A folder not listed in one of them stays out of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..target import TargetError, project_root

RUBRIC = "rubric"
HIDDEN = "hidden"
#: What a grade collects.
GRADED = (RUBRIC, HIDDEN)
#: What the student bundle carries (and its own grade collects).
STUDENT = (RUBRIC,)
#: What the Gradescope autograder carries.
AUTOGRADER = (RUBRIC, HIDDEN)
#: The project's own tests: never graded, never shipped.
PRIVATE = ("library", "engine", "mutants", "classroom")
#: Files at the top of tests/ that every copy of the suite carries.
TOP_FILES = ("conftest.py",)
_JUNK = ("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


def find_suite(tests=None) -> Path:
    """The suite: ``tests``, else ``tests/`` beside ``lstm_lab``, else ``./tests``."""
    candidates = [Path(tests)] if tests else [project_root() / "tests", Path.cwd() / "tests"]
    for candidate in candidates:
        if (candidate / "conftest.py").is_file() and (candidate / RUBRIC).is_dir():
            return candidate.resolve()
    raise TargetError(
        f"no test suite found (a tests/ folder with a conftest.py and {RUBRIC}/); pass --tests DIR"
    )


def graded_paths(suite: Path, hidden: Path | None) -> list[Path]:
    """What a grade of ``suite`` collects: its rubric, and ``hidden`` when given."""
    paths = [suite / RUBRIC]
    if hidden is not None:
        paths.append(hidden)
    return paths


def with_hidden(suite: Path, hidden: Path, workdir: Path) -> Path:
    """A copy of the suite's shipped part with ``hidden`` as its hidden folder (an instructor's
    hidden tests kept elsewhere)."""
    copy = workdir / "tests"
    copy_suite(suite, copy, STUDENT)
    shutil.copytree(hidden, copy / HIDDEN, ignore=shutil.ignore_patterns(*_JUNK))
    return copy


def copy_suite(suite: Path, destination: Path, folders) -> None:
    """Copy the top files of ``suite`` and the ``folders`` it has to ``destination``."""
    destination.mkdir(parents=True)
    for name in TOP_FILES:
        if (suite / name).is_file():
            shutil.copy2(suite / name, destination / name)
    for folder in folders:
        if (suite / folder).is_dir():
            shutil.copytree(
                suite / folder, destination / folder, ignore=shutil.ignore_patterns(*_JUNK)
            )


def carried(relative: Path, folders) -> bool:
    """Whether a path relative to the suite belongs in a copy of ``folders``."""
    parts = relative.parts
    if not parts:
        return True
    if len(parts) == 1:
        return parts[0] in TOP_FILES or parts[0] in folders
    return parts[0] in folders


def is_private(path: Path) -> bool:
    """Whether ``path`` lies in one of the project's own test folders (``PRIVATE``) of a suite:
    a grade never collects (nor imports) it."""
    path = Path(path)
    for parent in [path, *path.parents]:
        if parent.name in PRIVATE and (parent.parent / "conftest.py").is_file():
            return (parent.parent / RUBRIC).is_dir()
    return False
