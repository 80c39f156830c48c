"""``lstm-lab class`` on small classes: a regrade after one test's points changed, ``--regrade``,
and the faults a batch must survive (a grade that never ends, a grade killed from outside)."""

from __future__ import annotations

import os
import re
import signal
import time

import classroom_support as support
import pytest

pytestmark = pytest.mark.xdist_group("classroom")
CHANGED = "test_expand_labels_repeats_each_label_in_a_row"
EXTRA = 3


def _add_points(suite, name: str, extra: float) -> None:
    """Raise the points of the rubric test ``name`` by ``extra`` in the copy ``suite``."""
    path = suite / "rubric" / "test_ex03_labels.py"
    lines = path.read_text().splitlines(keepends=True)
    where = next(i for i, line in enumerate(lines) if line.startswith(f"def {name}("))
    marker = re.compile(r"^@exercise\(MODULE, points=(\d+(?:\.\d+)?)\)")
    for i in range(where - 1, -1, -1):
        found = marker.match(lines[i])
        if found:
            points = float(found.group(1)) + extra
            lines[i] = marker.sub(f"@exercise(MODULE, points={points:g})", lines[i])
            path.write_text("".join(lines))
            return
    raise AssertionError(f"no @exercise(MODULE, points=...) above {name} in {path}")


def _results(url: str) -> dict[str, list]:
    return {row["student"]: row["run"]["results"] for row in support.snapshot(url)}


def test_a_regrade_changes_exactly_the_rows_of_the_changed_points(tmp_path, listener):
    # Check that a Canvas LATE submission keeps its raw score beside the final one, that after
    # one test's points changed, the next batch grades everything again (the
    # suite version changed), keeps the old runs, changes only that test's rows and the totals
    # of those who passed it, and that status says by how much; then that --regrade makes new
    # runs of an unchanged suite with the same scores.
    suite = support.copy_suite(tmp_path / "tests")
    submissions = support.make_class(tmp_path / "class", listener.port, ["ada", "cyd"])
    archive = support.canvas_zip(submissions, tmp_path / "canvas.zip", late={"cyd"})
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    args = ["grade", archive, "--db", url, "--jobs", 2, "--tests", suite]
    args += ["--late-policy", "percent-per-day:10", *support.CHEAP_FLAGS]
    support.run_class(*args)
    before, before_results = support.scores(url), _results(url)
    for student, (status, raw, final, _) in before.items():  # Canvas's LATE: one day, 10 %
        assert status == "graded" and final == (round(raw * 0.9, 2) if student == "cyd" else raw)
    _add_points(suite, CHANGED, EXTRA)
    support.run_class(*args)
    after, after_results = support.scores(url), _results(url)
    changed = {}
    for student in submissions:
        old = {r[0]: r for r in before_results[student]}
        new = {r[0]: r for r in after_results[student]}
        assert old.keys() == new.keys()
        key = f"ex03_labels: {CHANGED}"
        share = old[key][1] / old[key][2]
        assert new[key][1:3] == (pytest.approx(old[key][1] + EXTRA * share), old[key][2] + EXTRA)
        assert {k: v for k, v in old.items() if k != key} == {
            k: v for k, v in new.items() if k != key
        }, f"{student}: rows other than {key} changed"
        delta = after[student][1] - before[student][1]
        assert delta == pytest.approx(EXTRA * share) and after[student][3] == before[student][3] + 3
        if delta:
            changed[student] = delta
    assert set(changed) == {"ada"}, "cyd tiles the labels: its score must stay"
    status = support.run_class("status", "--db", url).stdout
    for student, delta in changed.items():
        old, new = before[student][2], after[student][2]
        assert f"{student}: {old:g} -> {new:g} (+{delta:g})" in status, status
    assert "cyd:" not in status.split("score changed at a regrade:")[1]
    support.run_class(*args, "--regrade")
    runs = support.runs_of(url)
    assert len(runs) == 6 and all(run["status"] == "graded" for run in runs)
    assert support.scores(url) == after
    assert "score changed at a regrade" not in support.run_class("status", "--db", url).stdout


def _running_pid(url: str, student: str) -> int | None:
    for run in support.runs_of(url):
        if run["student"] == student and run["status"] == "running":
            return run["pid"]
    return None


def test_a_grade_that_never_ends_or_is_killed_costs_its_own_grade(tmp_path, listener):
    # Check that a grade killed from outside is recorded as an infrastructure fault and graded
    # again once, that a grade past --grade-timeout is killed and recorded as a timeout, not
    # retried, and that the other submission of the batch is graded as if nothing happened.
    folder = tmp_path / "class"
    support.make_class(folder, listener.port, ["ada"])
    support.make_submission(folder / "zed", ("hostile", "looper.py"), listener.port)
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    batch = support.start_class("grade", folder, "--db", url, "--jobs", 2, "--grade-timeout", 20,
                                *support.CHEAP_FLAGS)  # fmt: skip
    try:
        pid = None
        while pid is None and batch.poll() is None:
            pid = _running_pid(url, "zed")  # the looper's grade cannot end before it is killed
            time.sleep(0.05)
        assert pid is not None, batch.stdout.read().decode()
        os.kill(pid, signal.SIGKILL)
        output = batch.communicate(timeout=300)[0].decode()
    finally:
        if batch.poll() is None:
            batch.kill()
    assert batch.returncode == 0, output
    zed = [run for run in support.runs_of(url) if run["student"] == "zed"]
    assert [(run["status"], run["attempt"]) for run in zed] == [
        ("infrastructure", 1),
        ("timeout", 2),
    ], zed
    assert "killed from outside (SIGKILL); graded again" in zed[0]["reason"]
    assert "ran longer than 20 s" in zed[1]["reason"]
    scores = support.scores(url)
    assert scores["ada"][0] == "graded" and scores["ada"][1] == scores["ada"][3]
    status = support.run_class("status", "--db", url).stdout
    assert "2 students: 1 graded, 0 running, 1 failed, 0 left" in status
    assert "zed: timeout: the grade ran longer than 20 s" in status
