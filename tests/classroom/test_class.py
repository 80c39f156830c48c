"""``lstm-lab class`` on a generated class of 12: the scores of ``lstm-lab grade`` alone, hostile
submissions kept in their cage, malformed input named, exports that parse, a report that renders
in headless Chromium, and the class as a Canvas zip, killed with ``kill -9`` halfway, resuming to
the same gradebook on PostgreSQL.

Grades are of the cheap exercises only (``--exercise ex02_windows --exercise ex03_labels``: a
few seconds each); the class, its grades alone and its folder gradebook are made once per module.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

import classroom_support as support
import pytest
from classroom_support import render
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lstm_lab.classroom import gradebook
from lstm_lab.classroom.batch import SCRATCH_PREFIX, STAGED_AS

pytestmark = pytest.mark.xdist_group("classroom")
HOSTILE = ("hal", "ivy", "jon")


@pytest.fixture(scope="module")
def flags(suite):
    """The flags of every grade here: the cheap exercises, the module's copy of the suite."""
    return [*support.CHEAP_FLAGS, "--tests", str(suite)]


@pytest.fixture(scope="module")
def klass(tmp_path_factory, listener):
    base = tmp_path_factory.mktemp("klass")
    submissions = support.make_class(base / "class", listener.port)
    empty = base / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    return base, submissions, empty


@pytest.fixture(scope="module")
def alone(klass, flags):
    base, submissions, _ = klass
    return support.grade_all_alone(submissions, base / "alone", *flags)


@pytest.fixture(scope="module")
def folder_db(klass, flags):
    """The class graded from its folder (and an empty zip beside it) into SQLite."""
    base, _, empty = klass
    url = f"sqlite:///{base / 'folder.db'}"
    done = support.run_class("grade", base / "class", empty, "--db", url, "--jobs", 2, *flags)
    return url, done


def _tests(results: dict, folder) -> list[tuple]:
    """The tests of a grade alone, the submission's path read as the gradebook writes it."""
    return [
        (t["name"], t["score"], t["max_score"], t["output"].replace(str(folder), STAGED_AS))
        for t in results["tests"]
    ]


def test_every_score_is_the_score_of_its_grade_alone(folder_db, alone, klass):
    url, _ = folder_db
    _, submissions, _ = klass
    rows = {row["student"]: row for row in support.snapshot(url)}
    assert set(rows) == set(support.CLASS)
    for student, results in alone.items():
        run = rows[student]["run"]
        assert run is not None and run["status"] == "graded", f"{student}: {run}"
        assert (run["raw_score"], run["max_score"]) == (results["score"], results["max_score"]), (
            f"{student}: the class gave {run['raw_score']} / {run['max_score']}, its grade alone "
            f"{results['score']} / {results['max_score']}"
        )
        got = [(name, score, top, output) for name, score, top, _, output, _ in run["results"]]
        assert got == _tests(results, submissions[student]), (
            f"{student}: the tests differ from its grade alone"
        )
    top = alone["ada"]["max_score"]
    assert alone["ada"]["score"] == top and alone["mia"]["score"] == top
    assert alone["bob"]["score"] == 0
    for mistake in ("cyd", "dee", "eve", "fay", "lea"):
        assert alone[mistake]["score"] < top, f"the mistake of {mistake} lost nothing"


def test_hostile_submissions_reach_nothing(folder_db, alone, klass, listener):
    # Check that the thief read and wrote no gradebook and no other submission, that the forger's
    # printed results counted for nothing, and that the caller reached no network: each would
    # have scored full marks for ex02 had it got through.
    url, _ = folder_db
    base, submissions, _ = klass
    rows = {row["student"]: row["run"] for row in support.snapshot(url)}
    ex02_top = sum(t["max_score"] for t in alone["ada"]["tests"] if "ex02_windows" in t["tags"])
    for student in HOSTILE:
        ex02 = [r for r in rows[student]["results"] if r[0].startswith("ex02_windows")]
        assert sum(r[1] for r in ex02) < ex02_top, f"{student}'s attack paid"
        assert rows[student]["raw_score"] == alone[student]["score"]
    database = base / "folder.db"
    assert b"pwned" not in database.read_bytes()
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for folder in submissions.values():
        for path in folder.rglob("*.py"):
            assert not path.read_bytes().endswith(b"pwned by the thief"), f"{path} was written"
    assert listener.accepted() == 0, "a submission connected to the test's port"


def test_malformed_input_is_a_line_in_status_and_report(folder_db, klass, tmp_path):
    url, done = folder_db
    _, _, empty = klass
    assert f"{empty}: {empty} is an empty zip" in done.stdout
    status = support.run_class("status", "--db", url).stdout
    assert "12 students: 12 graded, 0 running, 0 failed, 0 left" in status
    for line in (
        "kim: notebook not graded: ex03_labels.ipynb",
        "kim: files that are not Python were ignored: notes.txt",
        "kim: missing ex01_lifecycle.py, ex03_labels.py, ex04_stateful.py, ex05_training.py",
        f"{empty}: {empty} is an empty zip: no submissions in it",
    ):
        assert line in status, f"status lacks {line!r}:\n{status}"
    support.run_class("report", "--db", url, tmp_path / "report")
    page = (tmp_path / "report" / "students" / "kim.html").read_text()
    assert "notebook not graded" in page
    assert "is an empty zip" in (tmp_path / "report" / "index.html").read_text()


def test_csv_export_parses_with_the_exercise_columns(folder_db, alone, tmp_path):
    url, _ = folder_db
    out = tmp_path / "grades.csv"
    support.run_class("export", "--db", url, "--format", "csv", "--out", out)
    with open(out, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == [
        "student",
        "submission",
        "score",
        "max_score",
        "ex01_lifecycle",
        "ex02_windows",
        "ex03_labels",
        "ex04_stateful",
        "ex05_training",
        "late",
        "status",
    ]
    assert [row["student"] for row in rows] == sorted(support.CLASS)
    for row in rows:
        results = alone[row["student"]]
        assert float(row["score"]) == results["score"]
        for module in ("ex02_windows", "ex03_labels"):
            points = sum(t["score"] for t in results["tests"] if module in t["tags"])
            assert float(row[module]) == pytest.approx(points)
        assert row["ex01_lifecycle"] == "" and row["late"] == "no" and row["status"] == "graded"


def test_report_and_dashboard_render_in_chromium(folder_db, tmp_path):
    url, _ = folder_db
    out = tmp_path / "report"
    support.run_class("report", "--db", url, out)
    dom, images = render(out / "index.html")
    assert {src for src, _, _ in images} >= {
        "img/scores.png",
        "img/pass_rates.png",
        "img/grading_time.png",
    }
    for src, complete, width in images:
        assert complete and width > 0, f"{src} did not load in Chromium"
    assert "Most frequent failures" in dom and "%" in dom
    for student in support.CLASS:
        assert f"students/{student}.html" in dom
    page, _ = render(out / "students" / "cyd.html")
    assert "test_expand_labels_repeats_each_label_in_a_row" in page
    assert "(hidden)" in page  # after_due_date, no due date given: shown


def _final_runs(url: str) -> int:
    engine = gradebook.connect(url)
    try:
        with Session(engine) as session:
            statuses = gradebook.FINAL
            query = select(func.count()).select_from(gradebook.Run)
            return session.scalar(query.where(gradebook.Run.status.in_(statuses)))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def canvas_pg(klass, flags, postgres_module_db):
    """The class as a Canvas zip graded into PostgreSQL, killed with SIGKILL once 6 grades had
    ended, then graded again with the same arguments: ``(url, final runs before the kill)``."""
    base, submissions, empty = klass
    archive = support.canvas_zip(submissions, base / "canvas.zip")
    url = postgres_module_db
    args = ["grade", archive, empty, "--db", url, "--jobs", 2, *flags]
    first = support.start_class(*args)
    try:
        while _final_runs(url) < 6 and first.poll() is None:
            time.sleep(0.05)  # polling the gradebook, not waiting out a race
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait()
    before = _final_runs(url)
    assert first.returncode == -signal.SIGKILL, "the batch ended before it was killed"
    status = support.run_class("status", "--db", url).stdout
    assert "interrupted (its process is gone)" in status, status
    assert f"12 students: {before} graded" in status, status
    left = sorted(Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}{first.pid}_*"))
    assert left, "the killed batch's folder is not where the next batch looks for it"
    support.run_class(*args)
    assert not any(path.exists() for path in left), "the next batch left the dead one's folder"
    return url, before


def test_resume_after_kill_9_gives_the_same_gradebook_on_postgres(canvas_pg, folder_db):
    # Check that a batch killed with SIGKILL halfway, then run again with the same arguments,
    # grades only what had no final run and ends with the gradebook of an uninterrupted batch
    # (the folder's, in SQLite: the Canvas zip holds the same files, so the same content).
    url, before = canvas_pg
    assert 6 <= before < len(support.CLASS)
    runs = support.runs_of(url)
    second = [run for run in runs if run["batch"] == max(r["batch"] for r in runs)]
    assert len(second) == len(support.CLASS) - before, "the resumed batch graded again"
    assert {run["status"] for run in runs} <= {"graded", "interrupted"}
    assert support.snapshot(url) == support.snapshot(folder_db[0])
    status = support.run_class("status", "--db", url).stdout
    assert "12 students: 12 graded, 0 running, 0 failed, 0 left" in status


def test_canvas_export_parses_with_canvas_ids(canvas_pg, alone, tmp_path):
    url, _ = canvas_pg
    out = tmp_path / "canvas.csv"
    support.run_class("export", "--db", url, "--format", "canvas", "--out", out,
                      "--assignment", "LSTM lab (4242)")  # fmt: skip
    with open(out, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "LSTM lab (4242)"]
    assert rows[1][0].strip() == "Points Possible"
    assert float(rows[1][5]) == alone["ada"]["max_score"]
    by_login = {row[3]: row for row in rows[2:]}
    assert sorted(by_login) == sorted(support.CLASS)
    for number, student in enumerate(sorted(support.CLASS)):
        assert by_login[student][1] == str(1000 + number)  # Canvas's user id, from the file names
        assert float(by_login[student][5]) == alone[student]["score"]
