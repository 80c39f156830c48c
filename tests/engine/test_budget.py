"""Each function's share of its exercise's time (``budget.FUNCTION_SHARES``), and the local
grade's warning of the submitted grade's limits (issue 17: one slow function cannot spend
another's time; the grade before submission predicts the grade after)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from engine_support import ENGINE, ROOT, grade

from lstm_lab.grading import budget
from lstm_lab.grading.budget import FUNCTION_SHARES, Budget


def limited(per_exercise) -> Budget:
    graded = Budget()
    graded.start(None, per_exercise)
    return graded


def test_every_function_of_an_exercise_with_shares_has_its_own_part_and_they_add_up():
    graded = limited({"ex05_training": 300.0, "ex01_lifecycle": 120.0})
    modules = {name.split(".")[0] for name in FUNCTION_SHARES}
    for module in modules:
        listed = [f for f in FUNCTION_SHARES if f.startswith(module + ".")]
        parts = [graded.function_limit(f) for f in listed]
        rest = graded.function_limit(f"{module}.some_other_function")
        assert all(p and p > 0 for p in parts)
        assert sum(parts) + (rest or 0) == pytest.approx(graded.exercise_limit(module))
    assert graded.function_limit("ex02_windows.sliding_windows") is None  # no shares there
    assert limited(None).function_limit("ex05_training.train_stateful") is None  # no limits


def test_one_function_spending_its_share_leaves_the_others_theirs():
    graded = limited({"ex05_training": 300.0})
    graded.exercise = "ex05_training"
    stateful = graded.function_limit("ex05_training.train_stateful")
    graded.charge(stateful + 1, "ex05_training.train_stateful")
    left, scope = graded.remaining(True, "ex05_training.train_stateful")
    assert left < 0 and scope == "ex05_training.train_stateful"
    left, scope = graded.remaining(True, "ex05_training.train_stateless")
    share = graded.function_limit("ex05_training.train_stateless")
    assert left == pytest.approx(share) and scope == "ex05_training.train_stateless"
    # the exercise's own limit still bounds the sum, and a trusted call is never charged
    assert graded.remaining(False, "ex05_training.train_stateful") == (float("inf"), None)


def test_the_local_grade_warns_of_what_the_submitted_grade_would_cut():
    # The grader's box has half a CPU: a call there takes at least its CPU time here, doubled.
    limits = {"ex05_training": 300, "ex02_windows": 60}
    share = limited(limits).function_limit("ex05_training.train_stateless")
    cpu = {
        "ex05_training.train_stateful": 40.0,
        "ex05_training.train_stateless": share / 2 + 5,  # over its share there
        "ex02_windows.sliding_windows": 1.0,
    }
    lines = budget.predicted_overruns(cpu, limits)
    assert len(lines) == 1 and lines[0].startswith("ex05_training.train_stateless:"), lines
    assert f"at least {(share / 2 + 5) * 2:.0f} s on the grader's 0.5 CPU" in lines[0]
    assert "over its share" in lines[0]
    lines = budget.predicted_overruns({"ex05_training.train_stateful": 151.0}, limits)
    assert lines[0].startswith("ex05_training: its calls used 151 s of CPU here, so at least 302")
    assert budget.predicted_overruns({"ex05_training.train_stateful": 1.0}, limits) == []
    assert budget.predicted_overruns({"ex05_training.train_stateful": 100.0}, limits, 2) == []


# -- in a grade ------------------------------------------------------------------------------------
SLOW = ENGINE / "fixtures" / "slow"


def slow_submission(tmp_path) -> Path:
    target = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    module = target / "ex01_lifecycle.py"
    module.write_text(module.read_text() + "\n\n" + (SLOW / "ex01_lifecycle.py").read_text())
    return target


def test_a_function_out_of_its_share_is_named_and_spends_no_one_elses_time(tmp_path):
    # run_lifecycle loops: it gets its share of ex01's 60 s (54 s) and no more; the test of
    # probabilities_to_classes, which comes after (here without its sleep), still has its own
    # share and passes. Before shares, the exercise's time was gone and it failed too.
    target = slow_submission(tmp_path)
    (target / "ex01_lifecycle.py").write_text(
        (target / "ex01_lifecycle.py").read_text().replace("+ 8\n", "+ 0\n")
    )
    graded = grade(
        target,
        "--exercise",
        "ex01_lifecycle",
        "--exercise-time-limit",
        "ex01_lifecycle=60",
        "-k",
        "run_lifecycle_learns or run_lifecycle_frames or probabilities_to_classes_half",
        tmp_path=tmp_path,
        cheap=False,
    )
    tests = {t["name"].split(": ", 1)[1]: t for t in graded.tests_of("ex01_lifecycle")}
    lifecycle = [t for n, t in tests.items() if "run_lifecycle" in n]
    assert len(lifecycle) == 2 and all(t["score"] == 0 for t in lifecycle), graded.output
    share = 60 * FUNCTION_SHARES["ex01_lifecycle.run_lifecycle"]
    for test in lifecycle:
        assert (
            f"the calls of ex01_lifecycle.run_lifecycle used up its {share:g} s, its share of "
            "ex01_lifecycle (60 s)'s grading time" in test["output"]
        ), test["output"]
    half = tests["test_probabilities_to_classes_half_is_class_zero"]
    assert half["score"] == half["max_score"], graded.output  # its own share was left alone


def test_a_grade_without_limits_warns_of_the_submitted_grades(tmp_path):
    # Right but 8 s of CPU a call: no limit here, so it passes; the grade warns that on the
    # submitted grade's half CPU its time is over its share of ex01's.
    graded = grade(
        slow_submission(tmp_path),
        "--exercise",
        "ex01_lifecycle",
        "-k",
        "probabilities_to_classes_half",
        tmp_path=tmp_path,
        cheap=False,
    )
    assert graded.module_score("ex01_lifecycle") == (1, 1), graded.output
    assert "WARNING: the submitted grade limits each exercise's time" in graded.output
    assert "ex01_lifecycle.probabilities_to_classes: its calls used 8 s of CPU here" in (
        graded.output
    ), graded.output
