"""Helpers for the tests of ``lstm-lab class``: a generated class, its LMS packings, grades.

The class is made from ``solutions/``, ``exercises/``, mutants of ``tests/mutants/`` (appended to
a copy of their module, as ``tests/mutants/test_mutants.py`` grafts them), the hostile
submissions of ``hostile/`` (appended the same way) and malformed ones. Every grade runs in a
subprocess (``lstm-lab grade`` alone, or ``lstm-lab class``), as an instructor would run it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from lstm_lab.classroom import gradebook

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
MUTANTS = ROOT / "tests" / "mutants"
HOSTILE = HERE / "hostile"
#: The cheap exercises (NumPy only): a grade of them takes seconds.
CHEAP = ("ex02_windows", "ex03_labels")
CHEAP_FLAGS = [flag for module in CHEAP for flag in ("--exercise", module)]
SUITE = ROOT / "tests"
#: student -> how the submission is made: ("solutions",), ("exercises",), ("mutant", file),
#: ("hostile", file), ("malformed",), ("nested",).
CLASS = {
    "ada": ("solutions",),
    "bob": ("exercises",),
    "cyd": ("mutant", "ex03_labels_tiled.py"),
    "dee": ("mutant", "ex02_windows_one_short.py"),
    "eve": ("mutant", "ex02_dataset_unstratified.py"),
    "fay": ("mutant", "ex03_batches_truncated.py"),
    "hal": ("hostile", "thief.py"),
    "ivy": ("hostile", "forger.py"),
    "jon": ("hostile", "caller.py"),
    "kim": ("malformed",),
    "lea": ("mutant", "ex02_ceiling_over_length.py"),
    "mia": ("nested",),
}
MODULE_OF_HOSTILE = "ex02_windows"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def copy_suite(destination: Path) -> Path:
    """A copy of what a grade collects (tests/conftest.py, rubric/, hidden/): the grades of a
    test all see one suite, whatever changes in the checkout meanwhile."""
    destination.mkdir(parents=True)
    shutil.copy(SUITE / "conftest.py", destination)
    for folder in ("rubric", "hidden"):
        shutil.copytree(
            SUITE / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return destination


def env() -> dict:
    """The environment of the grades: the caller's, without pytest's and lstm_lab's own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LSTM_LAB_", "PYTEST_"))}
    clean.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    return clean


def assemble(destination: Path, module: str, appended: str) -> Path:
    """A copy of solutions/ with ``appended`` at the end of ``module``."""
    shutil.copytree(SOLUTIONS, destination, ignore=shutil.ignore_patterns("__pycache__"))
    path = destination / f"{module}.py"
    path.write_text(path.read_text() + "\n\n# --- appended ---\n" + appended)
    return destination


def _mutant_module(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("MODULE = "):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise ValueError(f"{path} has no MODULE line")


def make_submission(destination: Path, how: tuple, port: int) -> Path:
    kind = how[0]
    if kind == "solutions":
        return shutil.copytree(SOLUTIONS, destination, ignore=shutil.ignore_patterns("__py*"))
    if kind == "exercises":
        return shutil.copytree(EXERCISES, destination, ignore=shutil.ignore_patterns("__py*"))
    if kind == "mutant":
        path = MUTANTS / how[1]
        return assemble(destination, _mutant_module(path), path.read_text())
    if kind == "hostile":
        text = (HOSTILE / how[1]).read_text().replace("PORT = 0", f"PORT = {port}")
        return assemble(destination, MODULE_OF_HOSTILE, text)
    if kind == "malformed":  # ex02 only; ex03 as a notebook; a file that is not Python
        destination.mkdir(parents=True)
        shutil.copy(SOLUTIONS / "ex02_windows.py", destination)
        cell = {"cell_type": "code", "source": (SOLUTIONS / "ex03_labels.py").read_text()}
        (destination / "ex03_labels.ipynb").write_text(json.dumps({"cells": [cell]}))
        (destination / "notes.txt").write_text("my notes\n")
        return destination
    if kind == "nested":  # the modules one folder down, as a student's zip often has them
        shutil.copytree(SOLUTIONS, destination / "lab", ignore=shutil.ignore_patterns("__py*"))
        return destination
    raise ValueError(f"unknown kind {kind!r}")


def make_class(folder: Path, port: int, students=None) -> dict[str, Path]:
    """The class as a folder of submission folders: ``{student: folder}``."""
    folder.mkdir(parents=True)
    return {
        student: make_submission(folder / student, CLASS[student], port)
        for student in (students or CLASS)
    }


def canvas_zip(submissions: dict[str, Path], zip_path: Path, late=()) -> Path:
    """The class as Canvas's "Download Submissions" zip: flat files named
    ``name_[LATE_]id_subid_file``; a submission with folders in it was uploaded as one zip."""
    with zipfile.ZipFile(zip_path, "w") as archive:
        for number, (student, folder) in enumerate(sorted(submissions.items())):
            mark = "LATE_" if student in late else ""
            prefix = f"{student}_{mark}{1000 + number}_{5000 + number}_"
            files = sorted(p for p in folder.rglob("*") if p.is_file())
            if any(len(p.relative_to(folder).parts) > 1 for p in files):
                inner = zip_path.with_name(f"{student}-upload.zip")
                with zipfile.ZipFile(inner, "w") as upload:
                    for path in files:
                        upload.write(path, path.relative_to(folder).as_posix())
                archive.write(inner, prefix + "lab.zip")
                continue
            for path in files:
                archive.write(path, prefix + path.name)
    return zip_path


def run_class(*args, check=True, timeout=900) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "lstm_lab.cli", "class", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, env=env(), timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def start_class(*args) -> subprocess.Popen:
    command = [sys.executable, "-m", "lstm_lab.cli", "class", *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env())


def grade_alone(submission: Path, results: Path, *flags) -> dict:
    """``lstm-lab grade`` of one submission; its results.json."""
    command = [
        sys.executable,
        "-m",
        "lstm_lab.cli",
        "grade",
        str(submission),
        "--results",
        str(results),
        *flags,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env(), timeout=600, cwd=results.parent
    )
    assert done.returncode in (0, 1), f"grade of {submission} exited {done.returncode}:\n" + (
        done.stdout + done.stderr
    )
    return json.loads(results.read_text())


def grade_all_alone(submissions: dict[str, Path], out: Path, *flags, jobs=2) -> dict[str, dict]:
    """Each submission graded alone, ``jobs`` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(jobs) as pool:
        futures = {
            s: pool.submit(grade_alone, p, out / f"{s}.json", *flags)
            for s, p in submissions.items()
        }
        return {student: future.result() for student, future in futures.items()}


def snapshot(url: str) -> list[dict]:
    engine = gradebook.connect(url)
    try:
        with Session(engine) as session:
            return gradebook.snapshot(session)
    finally:
        engine.dispose()


def runs_of(url: str) -> list[dict]:
    """Every run of the gradebook: student, status, attempt, reason, scores."""
    from sqlalchemy import select

    engine = gradebook.connect(url)
    try:
        with Session(engine) as session:
            return [
                {
                    "student": run.submission.student.key,
                    "status": run.status,
                    "attempt": run.attempt,
                    "reason": run.reason,
                    "raw": run.raw_score,
                    "score": run.score,
                    "max": run.max_score,
                    "pid": run.pid,
                    "batch": run.batch_id,
                    "suite": run.suite_version,
                }
                for run in session.scalars(select(gradebook.Run).order_by(gradebook.Run.id))
            ]
    finally:
        engine.dispose()


def scores(url: str) -> dict[str, tuple]:
    """``{student: (status, raw score, final score, max score)}`` of each last final run."""
    return {
        row["student"]: None
        if row["run"] is None
        else (
            row["run"]["status"],
            row["run"]["raw_score"],
            row["run"]["score"],
            row["run"]["max_score"],
        )
        for row in snapshot(url)
    }


#: Appended to a copy of a page: after the load, the body says how every image ended.
IMAGE_PROBE = """<script>window.addEventListener("load", () => {
  document.body.setAttribute("data-images", JSON.stringify([...document.images].map(
    (i) => [i.getAttribute("src"), i.complete, i.naturalWidth])));
});</script>"""


def render(page: Path) -> tuple[str, list]:
    """The DOM of ``page`` after headless Chromium loaded it, and ``[src, complete, width]`` of
    each of its images."""
    if CHROMIUM is None:
        pytest.fail("headless Chromium is needed (apt-get install chromium; .ci/run installs it)")
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text().replace("</body>", IMAGE_PROBE + "</body>"))
    try:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=10000",
                "--dump-dom",
                probe.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        probe.unlink()
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    match = re.search(r'data-images="([^"]*)"', done.stdout)
    assert match, f"the page never finished loading in Chromium:\n{done.stdout[:2000]}"
    return done.stdout, json.loads(html.unescape(match.group(1)))


def new_database(server: str) -> str:
    """A fresh database on ``server``: its SQLAlchemy URL."""
    from sqlalchemy import create_engine, text

    name = f"gradebook_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server.replace("postgresql", "postgresql+psycopg") + "/postgres",
                           isolation_level="AUTOCOMMIT")  # fmt: skip
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server}/{name}"
