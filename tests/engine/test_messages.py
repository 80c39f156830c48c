"""What a student reads names the student's code, never the grader's internals (issue 17): no
probe names ("train_inputs_probe did not return"), no generated package names, no hypothesis
report of the grader's own lines."""

from __future__ import annotations

import shutil

import numpy as np
from engine_support import ENGINE, ROOT, grade

from lstm_lab.grading.proxy import scenario_call

LEAKS = ENGINE / "fixtures" / "leaks"


def test_a_scenario_is_named_by_the_students_call():
    X = np.zeros((2, 20, 1))
    key, call = scenario_call(
        "train_on_reference_probe",
        ("train_stateful", X, X[:, 0, 0], X, X[:, 0, 0]),
        {"batch_size": 10, "chunk": 5, "seed": 0},
    )
    assert key == "ex05_training.train_stateful"
    assert call == (
        "ex05_training.train_stateful(X_train, y_train, X_val, y_val, batch_size=10, chunk=5, "
        "seed=0)"
    )
    assert scenario_call("lifecycle_probe", (X,), {}) == ("ex01_lifecycle.run_lifecycle",) * 2
    assert scenario_call("reset_states_probe", ({}, X), {})[0] == "ex04_stateful.reset_states"
    key, call = scenario_call("call_checking_inputs", ("ex02_windows", "sliding_windows"), {})
    assert key == call == "ex02_windows.sliding_windows"


def submission(tmp_path):
    target = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in LEAKS.glob("*.py"):
        module = target / path.name
        module.write_text(module.read_text() + "\n\n" + path.read_text())
    return target


def test_messages_name_the_students_call_not_the_graders_internals(tmp_path):
    graded = grade(
        submission(tmp_path),
        "--exercise",
        "ex02_windows",
        "--exercise",
        "ex03_labels",
        "--exercise",
        "ex05_training",
        "--call-timeout",
        "20",
        "--ahead",
        "0",
        "-k",
        "expand_labels or train_stateful_feeds or leaves_its_input_alone",
        tmp_path=tmp_path,
        cheap=False,
    )
    trainers = graded.tests_of("ex05_training")
    assert trainers and all(t["score"] == 0 for t in trainers), graded.output
    call = "ex05_training.train_stateful(X_train, y_train, X_val, y_val, seed=0, batch_size="
    for test in trainers:
        assert call in test["output"], test["output"]
    assert "earlier call" not in trainers[0]["output"]  # "was not called: a call of ... earlier"
    labels = [t for t in graded.tests_of("ex03_labels") if t["score"] < t["max_score"]]
    assert labels, graded.output  # np.tile fails expand_labels' properties
    windows = [t for t in graded.tests_of("ex02_windows") if "sliding_windows" in t["name"]]
    assert windows and "ex02_windows.py" in windows[0]["output"], graded.output  # its frame
    for test in trainers + labels + windows:
        for leak in ("_probe", "_lstm_lab_target_", "always and only run", "lstm_lab/grading/"):
            assert leak not in test["output"], test["output"]
