"""``lstm-lab grade`` with the real suite: the reference, the stubs, partial submissions, repeats.

The cheap exercises (ex02, ex03: pure NumPy) are graded in every run here; the full grade of all
five exercises trains networks for minutes and is marked ``slow``.
"""

from __future__ import annotations

import re
import shutil

import pytest
from engine_support import CHEAP, ROOT, assemble, cheap_args, grade

from lstm_lab.target import MODULES


def all_not_implemented(graded) -> list[str]:
    """The tests whose output does not say "not implemented yet" (should be none)."""
    return [
        f"{t['name']}: {t['output'][:300]}"
        for t in graded.results["tests"]
        if t["score"] != 0 or "not implemented yet" not in t["output"]
    ]


def test_reference_gets_full_marks(tmp_path):
    graded = grade("solutions", *cheap_args(), tmp_path=tmp_path)
    assert graded.code == 0, graded.output
    assert graded.results["score"] == graded.results["max_score"] > 0
    assert {t["tags"][0] for t in graded.results["tests"]} == set(CHEAP)


def test_stubs_get_zero_without_errors(tmp_path):
    graded = grade("exercises", *cheap_args(), tmp_path=tmp_path)
    assert graded.code == 1, graded.output
    assert graded.results["score"] == 0
    assert all_not_implemented(graded) == []


def test_a_missing_module_loses_only_that_module(tmp_path):
    target = assemble(tmp_path, "partial", drop=["ex03_labels"])
    graded = grade(target, *cheap_args(), tmp_path=tmp_path)
    assert graded.code == 1
    got, top = graded.module_score("ex02_windows")
    assert got == top > 0
    assert graded.module_score("ex03_labels")[0] == 0
    for test in graded.tests_of("ex03_labels"):
        assert "ex03_labels.py was not found in your submission" in test["output"]


def test_the_same_submission_gets_the_same_grade_twice(tmp_path):
    # A partial submission with a wrong module: failures, messages and falsifying examples too.
    target = assemble(tmp_path, "mixed", ROOT / "tests" / "engine" / "fixtures" / "half")
    first = grade(target, *cheap_args(), tmp_path=tmp_path)
    second = grade(target, *cheap_args(), tmp_path=tmp_path)
    assert first.results["score"] < first.results["max_score"]
    assert first.comparable() == second.comparable()


def test_modules_in_a_subfolder_are_found(tmp_path):
    # Gradescope submissions often arrive as a zipped exercises/ folder.
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copytree(ROOT / "solutions", submission / "exercises")
    graded = grade(submission, "--exercise", "ex03_labels", tmp_path=tmp_path)
    assert graded.code == 0, graded.output
    assert "were found in" in graded.output


def test_visible_only_leaves_the_hidden_tests_out(tmp_path):
    graded = grade("solutions", *cheap_args("--visible-only"), tmp_path=tmp_path)
    assert graded.code == 0
    assert graded.results["tests"] and all(
        "hidden" not in t["tags"] for t in graded.results["tests"]
    )
    assert "visible tests only" in graded.output


def test_an_empty_submission_scores_zero(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    graded = grade(empty, *cheap_args(), tmp_path=tmp_path)
    assert graded.code == 1
    assert graded.results["score"] == 0
    assert all("was not found in your submission" in t["output"] for t in graded.results["tests"])


def test_a_target_that_does_not_exist_is_an_error(tmp_path):
    graded = grade(tmp_path / "nowhere", tmp_path=tmp_path)
    assert graded.code == 2
    assert graded.results is None


@pytest.mark.slow
@pytest.mark.needs_stateful("carry", "backprop")  # a full grade trains stateful models
def test_full_grade_of_the_reference(tmp_path):
    graded = grade("solutions", tmp_path=tmp_path, cheap=False, timeout=3600)
    assert graded.code == 0, graded.output[-5000:]
    assert {t["tags"][0] for t in graded.results["tests"]} == set(MODULES)
    # Where the grade trains ex05 ahead, every run it trained is one a test reads (PLANS in
    # tests/test_ex05_training.py agrees with the tests).
    assert "never read" not in graded.output, graded.output[-3000:]


@pytest.mark.slow
@pytest.mark.needs_stateful("carry", "backprop")  # else its stateful tests are skipped
def test_full_grade_of_the_stubs(tmp_path):
    graded = grade("exercises", tmp_path=tmp_path, cheap=False, timeout=3600)
    assert graded.code == 1
    assert graded.results["score"] == 0
    assert all_not_implemented(graded) == []


@pytest.mark.slow
def test_training_ahead_on_a_second_worker_grades_the_same(tmp_path):
    # A trainer that peeks at whole sequences fails with figures of the models it trained (its
    # accuracy on fresh windows): runs trained on the second worker must give the same figures,
    # messages and score as runs trained one after another.
    target = assemble(tmp_path, "peeks")
    mutant = ROOT / "tests" / "mutants" / "ex05_stateless_whole_sequences.py"
    module = target / "ex05_training.py"
    module.write_text(module.read_text() + "\n\n" + mutant.read_text())
    args = ("--exercise", "ex05_training", "-k", "stateless")
    in_turn = grade(target, *args, tmp_path=tmp_path, cheap=False, env={"LSTM_LAB_AHEAD": "0"})
    ahead = grade(target, *args, tmp_path=tmp_path, cheap=False, env={"LSTM_LAB_AHEAD": "1"})
    assert "training runs one at a time (LSTM_LAB_AHEAD=0)" in in_turn.output
    done = re.search(r"(\d+) training runs were done ahead on the second worker", ahead.output)
    assert done and int(done[1]) >= 1, ahead.output[-3000:]
    assert "never read" not in ahead.output, "a test reads another run than the one it planned"
    outputs = " ".join(t["output"] for t in in_turn.tests_of("ex05_training"))
    assert "the final model scored validation accuracy" in outputs, "no figures to compare"
    assert in_turn.results["score"] < in_turn.results["max_score"]
    assert ahead.results["tests"] == in_turn.results["tests"]


def test_a_module_that_does_not_parse_is_reported_once_with_its_line(tmp_path):
    # Every test of the module fails on the same import: the summary says it once, with the
    # file, the line and a caret, and points back to it for the others.
    target = assemble(tmp_path, "unfinished")
    module = target / "ex02_windows.py"
    source = module.read_text()
    module.write_text(source + "\n\ndef unfinished(x)\n    return x\n")
    line = len(source.splitlines()) + 3
    graded = grade(target, "--exercise", "ex02_windows", tmp_path=tmp_path)
    summary = graded.results["output"]
    flat = " ".join(summary.split())  # the table wraps long lines
    assert f"expected ':' in ex02_windows.py, line {line}:" in flat, summary
    assert summary.count("def unfinished(x)") == summary.count("SyntaxError"), summary
    assert "(the same failure as above)" in summary
    assert "py_compile ex02_windows.py" in flat
    assert graded.module_score("ex02_windows")[0] == 0
