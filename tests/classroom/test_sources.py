"""``lstm-lab class``: reading LMS downloads, and refusing bad arguments (no grading here)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import datetime

import pytest

from lstm_lab import cli
from lstm_lab.classroom import batch, sources
from lstm_lab.classroom.sources import find_submissions

MODULE = b"def f():\n    return 1\n"


def _by_student(found):
    return {one.student: one for one in found}


def test_canvas_names_give_student_id_lateness_and_files(tmp_path):
    # Check that Canvas's name_[LATE_]id_subid_file names give the student, the Canvas id, the
    # LATE mark and the file's own name (a re-upload's "-1" dropped), and that a student's zip
    # is unpacked as their files.
    export = tmp_path / "canvas"
    export.mkdir()
    (export / "doejane_LATE_1234_5678_ex02_windows-1.py").write_bytes(MODULE)
    (export / "doejane_LATE_1234_5678_ex03_labels.py").write_bytes(MODULE)
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("lab/ex02_windows.py", MODULE)
        archive.writestr("../escape.py", MODULE)
    (export / "smithjo_99_77_submission.zip").write_bytes(inner.read_bytes())
    found, notices = find_submissions([export], tmp_path / "scratch")
    students = _by_student(found)
    assert not notices
    assert set(students) == {"doejane", "smithjo"}
    jane = students["doejane"]
    assert (jane.lms_id, jane.label, jane.late) == ("1234", "5678", True)
    assert sorted(jane.files) == ["ex02_windows.py", "ex03_labels.py"]
    assert sorted(students["smithjo"].files) == ["lab/ex02_windows.py"]
    assert not students["smithjo"].late
    assert not (tmp_path / "scratch" / "escape.py").exists()


def test_gradescope_export_reads_its_metadata_and_times(tmp_path):
    # Check that a Gradescope export is read from submission_metadata.yml: the SID, the name,
    # the submission time (Ruby's symbol keys, a zone), and that --due makes it late by days.
    export = tmp_path / "gradescope"
    for sub in ("submission_1", "submission_2"):
        (export / sub).mkdir(parents=True)
        (export / sub / "ex02_windows.py").write_bytes(MODULE)
    (export / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters:\n  - :name: Jane Doe\n    :sid: '111'\n"
        "  :created_at: 2026-12-03 10:00:00.000000000 -08:00\n"
        "submission_2:\n  :submitters:\n  - :name: Jo Smith\n    :sid: '222'\n"
        "  :created_at: 2026-11-30 23:00:00.000000000 +00:00\n"
    )
    found, _ = find_submissions([export], tmp_path / "scratch")
    students = _by_student(found)
    assert students["111"].name == "Jane Doe"
    assert students["111"].submitted_at == datetime(2026, 12, 3, 18, 0)
    due = datetime(2026, 12, 1, 0, 0)
    assert batch.lateness(students["111"], due) == (True, 3)
    assert batch.lateness(students["222"], due) == (False, 0)


def test_github_classroom_clones_drop_the_assignment_prefix(tmp_path):
    # Check that clones named assignment-login give the logins and the last commit's time.
    for login in ("alice", "bob"):
        clone = tmp_path / "clones" / f"lstm-lab-{login}"
        clone.mkdir(parents=True)
        (clone / "ex02_windows.py").write_bytes(MODULE)
        git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run(["git", "init", "-q", str(clone)], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run(
            [*git, "commit", "-q", "-m", "x", "--date", "2026-12-01T12:00:00+00:00"],
            check=True,
            env={"GIT_COMMITTER_DATE": "2026-12-01T12:00:00+00:00", "PATH": "/usr/bin:/bin"},
        )
    found, _ = find_submissions([tmp_path / "clones"], tmp_path / "scratch")
    students = _by_student(found)
    assert set(students) == {"alice", "bob"}
    assert students["alice"].submitted_at == datetime(2026, 12, 1, 12, 0)
    assert list(students["bob"].files) == ["ex02_windows.py"]


def test_malformed_input_is_named_not_fatal(tmp_path):
    # Check that an empty zip, a broken zip and a single submission given as a class are
    # notices, and that a notebook, a file that is not Python, missing modules and a duplicate
    # student are problems of the submission, which is still returned.
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    single = tmp_path / "single"
    single.mkdir()
    (single / "ex02_windows.py").write_bytes(MODULE)
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        (folder / "kim").mkdir(parents=True)
    (first / "kim" / "ex03_labels.ipynb").write_text("{}")
    (first / "kim" / "notes.txt").write_text("x")
    (second / "kim" / "ex02_windows.py").write_bytes(MODULE)
    found, notices = find_submissions([empty, broken, single, first, second], tmp_path / "s")
    said = {n.source: n.message for n in notices}
    assert "empty zip" in said[str(empty)]
    assert "not a readable zip" in said[str(broken)]
    assert "one submission" in said[str(single)]
    (kim,) = found
    text = "\n".join(kim.problems)
    assert "duplicate student: 2 submissions of kim" in text
    assert kim.source == str(second)  # the latest given
    assert "missing ex01_lifecycle.py" in text


def test_notebook_and_other_files_are_named(tmp_path):
    (tmp_path / "c" / "kim").mkdir(parents=True)
    (tmp_path / "c" / "kim" / "ex03_labels.ipynb").write_text("{}")
    (tmp_path / "c" / "kim" / "data.csv").write_text("1")
    (kim,), _ = find_submissions([tmp_path / "c"], tmp_path / "s")
    text = "\n".join(kim.problems)
    assert re.search(r"notebook not graded: ex03_labels\.ipynb", text)
    assert "files that are not Python were ignored: data.csv" in text
    assert "no exercise module found" in text


def test_content_hash_is_the_files_not_the_folder(tmp_path):
    one = sources.Found("a", "a", "x", "s", files={"ex02_windows.py": MODULE})
    two = sources.Found("b", "b", "y", "t", files={"ex02_windows.py": MODULE})
    three = sources.Found("a", "a", "x", "s", files={"ex02_windows.py": MODULE + b"#"})
    assert one.content_hash == two.content_hash != three.content_hash


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--late-policy", "half"], r"--late-policy must be none, zero or percent-per-day:N"),
        (["--due", "tomorrow"], r"--due must be an ISO-8601 date"),
        (["--jobs", "0"], r"--jobs must be a whole number of at least 1"),
    ],
)
def test_bad_arguments_name_the_argument_and_the_rule(tmp_path, capsys, flags, words):
    with pytest.raises(SystemExit) as exited:
        cli.main(["class", "grade", str(tmp_path), *flags])
    assert exited.value.code == 2
    assert re.search(words, capsys.readouterr().err)


def test_a_bad_database_url_is_refused(tmp_path, capsys):
    assert cli.main(["class", "status", "--db", "nonsense://"]) == 2
    assert "--db" in capsys.readouterr().err


def test_due_dates_read_zones_and_z():
    assert sources.parse_time("2026-12-01T23:59:00Z") == datetime(2026, 12, 1, 23, 59)
    assert sources.parse_time("2026-12-01T15:59:00-08:00") == datetime(2026, 12, 1, 23, 59)
    assert sources.parse_time("2026-12-01T23:59") == datetime(2026, 12, 1, 23, 59)  # UTC


def test_late_policies():
    assert batch.final_score(30, False, 0, "zero") == 30
    assert batch.final_score(30, True, 2, "zero") == 0
    assert batch.final_score(30, True, 2, "percent-per-day:10") == 24
    assert batch.final_score(30, True, 20, "percent-per-day:10") == 0
    assert batch.final_score(30, True, 1, "none") == 30


def test_class_grade_refuses_where_workers_cannot_be_confined(tmp_path, capsys, monkeypatch):
    # Check that class grade refuses, as lstm-lab grade does, where the sandbox could neither
    # confine the workers nor drop their privileges, and writes nothing.
    from lstm_lab.grading import sandbox

    monkeypatch.setattr(
        sandbox.Policy,
        "detect",
        classmethod(lambda cls, **kw: cls(enabled=True, unconfined_reason="no Landlock (test)")),
    )
    (tmp_path / "class" / "ada").mkdir(parents=True)
    db = tmp_path / "gradebook.db"
    code = cli.main(["class", "grade", str(tmp_path / "class"), "--db", f"sqlite:///{db}"])
    assert code == 2
    assert "refusing to grade" in capsys.readouterr().err
    assert not db.exists()


def test_jobs_come_from_the_cpus_and_the_memory_free(monkeypatch):
    # Check that without --jobs, N is the CPUs this process may use, lowered to what the free
    # memory holds at one grade's peak (smaller when only the NumPy exercises are graded).
    from lstm_lab.grading import host

    monkeypatch.setattr(host, "cpu_limit", lambda: 8.0)
    monkeypatch.setattr(host, "memory_room_mb", lambda: 2500.0)
    assert batch.choose_jobs(None)[0] == 2500 // batch.GRADE_PEAK_MB
    assert batch.choose_jobs(None, ["ex02_windows", "ex03_labels"])[0] == 8
    assert batch.choose_jobs(None, ["ex02_windows", "ex05_training"])[0] == 2
    monkeypatch.setattr(host, "memory_room_mb", lambda: 100.0)
    assert batch.choose_jobs(None)[0] == 1
    assert batch.choose_jobs(3) == (3, "3 at a time (--jobs)")
