"""Hostile submissions cannot raise their score, crash the grader, or spoil another exercise.

Each attack (``hostile/<name>/``, see its README) is graded with ex02 and ex03 in a subprocess,
as ``lstm-lab grade`` runs on Gradescope. For every one: a results.json written by the judge,
ex03 graded in full, ex02 no better than the reference, the grader's exit code 0 or 1. Then each
attack's own damage is checked: its tests fail with the message that names it, and what it left
behind (files, processes) is gone or overwritten.
"""

from __future__ import annotations

import json
import time

import pytest
from engine_support import HOSTILE, assemble, cheap_args, grade, hostile_marker_processes

#: Seconds a call may take here: the attacks that loop are stopped this fast.
CALL_TIMEOUT = "5"


def attack(name, tmp_path, *extra, env=None, wrap=None):
    target = assemble(tmp_path, "submission", HOSTILE / name)
    (target / "results_path.txt").write_text(str(tmp_path / "results-0.json"))
    started = time.monotonic()
    graded = grade(
        target,
        *cheap_args("--call-timeout", CALL_TIMEOUT, *extra),
        tmp_path=tmp_path,
        env=env,
        wrap=wrap,
    )
    graded.seconds = time.monotonic() - started
    return graded


def check_contained(graded, reference_scores, name):
    """What every attack must leave true."""
    assert graded.results is not None, f"{name}: no results.json\n{graded.output}"
    assert graded.code in (0, 1), f"{name}: the grader failed\n{graded.output}"
    assert "INTERNALERROR" not in graded.output
    got, top = graded.module_score("ex02_windows")
    assert top == reference_scores["ex02_windows"][1]
    assert got <= reference_scores["ex02_windows"][0]
    assert graded.module_score("ex03_labels") == reference_scores["ex03_labels"], (
        f"{name}: ex03 was not graded in full\n{graded.output}"
    )
    assert graded.results["score"] <= graded.results["max_score"]


def failing_output(graded) -> str:
    return "\n".join(t["output"] for t in graded.tests_of("ex02_windows") if t["score"] == 0)


# -- attacks that break the attacked function ------------------------------------------------------
@pytest.mark.parametrize(
    "name, extra, env, says",
    [
        ("exit_call", [], {}, "raised SystemExit"),
        ("os_exit", [], {}, "the process running your code died"),
        ("exit_at_import", [], {}, "died (exit code 3)"),
        ("loop_forever", [], {}, "did not return within 5 s"),
        ("loop_at_import", [], {"LSTM_LAB_IMPORT_TIMEOUT": "5"}, "importing ex02_windows.py"),
        ("memory_bomb", ["--memory", "300"], {}, "more than the 300 MB"),
        ("monkeypatch_numpy", [], {}, "sliding_windows"),
        ("monkeypatch_pytest", [], {}, "sliding_windows"),
        ("huge_answer", [], {"LSTM_LAB_MAX_MESSAGE_MB": "4"}, "malformed answer"),
        ("forged_frames", [], {}, "malformed answer"),
        ("exotic_answers", [], {}, "sliding_windows"),
    ],
)
def test_attack_loses_only_its_own_points(name, extra, env, says, tmp_path, reference_scores):
    # The attacked function's tests fail with a message naming what happened; nothing else does.
    graded = attack(name, tmp_path, *extra, env=env)
    check_contained(graded, reference_scores, name)
    got, top = graded.module_score("ex02_windows")
    assert got < top, f"{name}: the attack cost nothing\n{graded.output}"
    assert says in failing_output(graded), f"{name}:\n{failing_output(graded)[:3000]}"


def test_endless_loops_cost_one_time_limit_each(tmp_path, reference_scores):
    # A function that timed out is not called again: the grade stays short.
    graded = attack("loop_forever", tmp_path)
    check_contained(graded, reference_scores, "loop_forever")
    assert "was not called" in failing_output(graded)
    assert graded.seconds < 90, f"the grade took {graded.seconds:.0f} s"


# -- attacks that leave the answers right but try to get around the judge --------------------------
@pytest.mark.parametrize("name", ["stdout_spam", "fork_daemon"])
def test_harmless_side_effects_cost_nothing(name, tmp_path, reference_scores):
    graded = attack(name, tmp_path)
    check_contained(graded, reference_scores, name)
    assert graded.module_score("ex02_windows") == reference_scores["ex02_windows"], graded.output


def test_no_process_outlives_the_grade(tmp_path, reference_scores):
    # fork_daemon leaves a double-forked sleeper in a new session after every call.
    graded = attack("fork_daemon", tmp_path)
    check_contained(graded, reference_scores, "fork_daemon")
    assert hostile_marker_processes("lstm-lab-hostile-fork-daemon", tmp_path) == []


def assert_results_are_the_judges(graded, tmp_path):
    """No daemon of the grade survives it, so nothing can rewrite its results.json: the file on
    disk is, and stays, the one the grade wrote (what ``grade`` read back)."""
    assert hostile_marker_processes("lstm-lab-hostile-fake-results", tmp_path) == []
    final = json.loads((tmp_path / "results-0.json").read_text())
    assert final == graded.results
    assert final["score"] != 999 and final["tests"]


def test_results_json_is_the_judges_and_written_last(tmp_path, reference_scores):
    # The attack writes a full-marks results.json where the grade goes and leaves a daemon that
    # keeps rewriting it: the judge kills the daemon and writes its own file last.
    graded = attack("fake_results", tmp_path)
    check_contained(graded, reference_scores, "fake_results")
    assert_results_are_the_judges(graded, tmp_path)
    assert graded.module_score("ex02_windows")[0] < reference_scores["ex02_windows"][0]


# -- attacks that need the privilege drop (root, as on Gradescope) ---------------------------------
# ``as_gradescope`` holds the machine's turn for such grades: their workers all run as the one
# worker user, and kill_judge's ``kill(-1)`` as that user would reach a grade running beside it.
def test_solutions_and_hidden_tests_are_unreadable(tmp_path, reference_scores, as_gradescope):
    # read_solutions answers with the reference when it can read it: it must not be able to.
    graded = attack("read_solutions", tmp_path, wrap=as_gradescope)
    check_contained(graded, reference_scores, "read_solutions")
    assert "user lstm-lab-worker" in graded.output, graded.output
    assert graded.module_score("ex02_windows")[0] < reference_scores["ex02_windows"][0]


def test_a_worker_cannot_kill_the_judge(tmp_path, reference_scores, as_gradescope):
    graded = attack("kill_judge", tmp_path, wrap=as_gradescope)
    check_contained(graded, reference_scores, "kill_judge")
    assert graded.module_score("ex02_windows")[0] < reference_scores["ex02_windows"][0]


def test_results_json_is_out_of_a_dropped_workers_reach(tmp_path, reference_scores, as_gradescope):
    graded = attack("fake_results", tmp_path, wrap=as_gradescope)
    check_contained(graded, reference_scores, "fake_results")
    assert_results_are_the_judges(graded, tmp_path)
