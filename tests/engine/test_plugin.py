"""The grading plugin on a tiny rubric (fixtures/suite): points, statuses, results.json, table.

The rubric runs in a subprocess (``pytest -p lstm_lab.grading.plugin``) against the solutions, the
stubs, and a half-right target (fixtures/half on top of the solutions).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from engine_support import CHEAP_PRELOAD, ENGINE, assemble, clean_env

from lstm_lab.grading import plugin

SUITE = ENGINE / "fixtures" / "suite"
FIELDS = {"name", "score", "max_score", "output", "visibility", "tags"}


def run_rubric(tmp_path: Path, target, *options, suite: Path = SUITE):
    """Run the mini rubric on ``target``; ``(exit code, output, results)``."""
    copy = tmp_path / "suite"
    if not copy.exists():
        shutil.copytree(suite, copy, ignore=shutil.ignore_patterns("__pycache__"))
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(copy),
            "-p",
            "lstm_lab.grading.plugin",
            "-o",
            "python_files=check_*.py",
            "-p",
            "no:cacheprovider",
            "-q",
            "--tb=no",
            "--target",
            str(target),
            "--results",
            str(results),
            *options,
        ],
        cwd=tmp_path,
        env=clean_env(LSTM_LAB_PRELOAD=CHEAP_PRELOAD),
        capture_output=True,
        text=True,
        timeout=300,
    )
    data = json.loads(results.read_text()) if results.exists() else None
    return proc.returncode, proc.stdout + proc.stderr, data


def by_name(results) -> dict:
    return {t["name"]: t for t in results["tests"]}


@pytest.fixture(scope="module")
def half(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("half")
    target = assemble(tmp, "half", ENGINE / "fixtures" / "half")
    return run_rubric(tmp, target)


def test_reference_gets_every_point(tmp_path):
    code, output, results = run_rubric(tmp_path, "solutions")
    assert code == 0, output
    assert results["score"] == results["max_score"] == 12
    assert all(t["score"] == t["max_score"] for t in results["tests"])
    assert all(t["output"] == "" for t in results["tests"])


def test_results_have_the_gradescope_fields(half):
    _, _, results = half
    assert {"score", "max_score", "execution_time", "output", "tests"} <= set(results)
    assert isinstance(results["execution_time"], int)
    for test in results["tests"]:
        assert FIELDS <= set(test)
        module = test["name"].split(":")[0]
        assert module in ("ex02_windows", "ex03_labels")
        assert test["name"].startswith(f"{module}: ")
        assert module in test["tags"]
    assert results["score"] == round(sum(t["score"] for t in results["tests"]), 2)
    assert results["max_score"] == sum(t["max_score"] for t in results["tests"])


def test_parametrized_cases_share_their_functions_points(half):
    # test_window_count is worth 1 point for 4 cases; the half target passes windows 1 and 2.
    _, _, results = half
    count = by_name(results)["ex02_windows: test_window_count"]
    assert count["max_score"] == 1
    assert count["score"] == 0.5
    assert "2 of 4 cases passed" in count["output"]
    assert "[3] returned 6 windows; expected 6" not in count["output"]
    assert "[3] returned 4 windows; expected 6" in count["output"]


def test_tests_without_the_marker_are_not_graded(half):
    _, _, results = half
    names = {t["name"] for t in results["tests"]}
    assert not any("not_part_of_the_rubric" in name for name in names)
    assert len(names) == 8


def test_a_judge_side_error_fails_that_test_only(half):
    # The half target returns a list where an array is expected: the judge's `.shape` raises.
    _, output, results = half
    error = by_name(results)["ex02_windows: test_judge_side_error"]
    assert error["score"] == 0
    assert "the test could not check the result: AttributeError" in error["output"]
    assert by_name(results)["ex03_labels: test_expand_labels"]["score"] == 3


def test_plain_assert_messages_reach_the_student(half):
    _, _, results = half
    failed = by_name(results)["ex02_windows: test_plain_assert"]
    assert "a window as long as the sequence always sees the bit" in failed["output"]


def test_hidden_tests_get_their_visibility(half, tmp_path):
    _, _, results = half
    tests = by_name(results)
    assert tests["ex03_labels: test_hidden_check"]["visibility"] == "after_due_date"
    assert "hidden" in tests["ex03_labels: test_hidden_check"]["tags"]
    assert tests["ex03_labels: test_expand_labels"]["visibility"] == "visible"
    _, _, shown = run_rubric(tmp_path, "solutions", "--hidden-visibility", "visible")
    assert {t["visibility"] for t in shown["tests"]} == {"visible"}


def test_the_table_shows_each_exercise_and_failure(half):
    _, output, results = half
    assert "ex02_windows" in output and "ex03_labels" in output
    assert "returned 4 windows; expected 6" in output
    assert "Total" in output
    assert results["output"].startswith("lstm-lab grade")
    assert "returned 4 windows" in results["output"]


def test_stubs_score_zero_with_not_implemented_yet(tmp_path):
    code, output, results = run_rubric(tmp_path, "exercises")
    assert code == 1
    assert results["score"] == 0 and results["max_score"] == 12
    for test in results["tests"]:
        assert "is not implemented yet" in test["output"], test
    assert "not implemented yet" in output
    assert "ERROR" not in output.split("Total")[0].split("==")[-1]


def test_exercise_option_narrows_the_grade(tmp_path):
    _, _, results = run_rubric(tmp_path, "solutions", "--exercise", "ex03_labels")
    assert {t["tags"][0] for t in results["tests"]} == {"ex03_labels"}
    assert results["max_score"] == 6


def test_unknown_exercise_is_a_usage_error(tmp_path):
    code, output, _ = run_rubric(tmp_path, "solutions", "--exercise", "ex09_nothing")
    assert code == 4, output
    assert "ex09_nothing" in output


def test_a_marker_naming_no_exercise_is_a_usage_error(tmp_path):
    suite = tmp_path / "bad"
    shutil.copytree(SUITE, suite, ignore=shutil.ignore_patterns("__pycache__", "check_*.py"))
    (suite / "check_bad.py").write_text(
        "import pytest\n\n@pytest.mark.exercise('ex99', points=1)\ndef test_x():\n    pass\n"
    )
    code, output, _ = run_rubric(tmp_path, "solutions", suite=suite)
    assert code != 0 and "ex99" in output


def test_time_limit_fails_the_tests_left(tmp_path):
    _, _, results = run_rubric(tmp_path, "solutions", "--time-limit", "0.000001")
    assert results["score"] == 0
    assert all("used up its" in t["output"] for t in results["tests"])


def test_results_are_replaced_atomically(tmp_path):
    path = tmp_path / "out" / "results.json"
    path.parent.mkdir()
    path.write_text("something a submission wrote")
    plugin.write_results({"score": 1, "tests": []}, path)
    assert json.loads(path.read_text()) == {"score": 1, "tests": []}
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


def test_cases_marked_one_by_one_are_checks_of_their_own(half):
    # The half target's stateless_ceiling is wrong (ex02 case fails), expand_labels right.
    _, _, results = half
    tests = by_name(results)
    ceiling = tests["ex02_windows: test_cases_marked_one_by_one[ceiling]"]
    expand = tests["ex03_labels: test_cases_marked_one_by_one[expand]"]
    assert (ceiling["max_score"], ceiling["score"]) == (1, 0)
    assert (expand["max_score"], expand["score"]) == (2, 2)
