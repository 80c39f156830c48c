"""Every knob of a grade is declared once (``settings.KNOBS``), and everything else is made from
that table: the ``lstm-lab grade`` flags, the pytest options, what crosses to a child process."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest
from engine_support import clean_env

from lstm_lab.grading import commands, settings


def test_every_knob_has_a_way_in_and_a_unique_name():
    names = [k.name for k in settings.KNOBS]
    assert len(names) == len(set(names))
    for knob in settings.KNOBS:
        assert knob.flag or knob.env, f"{knob.name} can be set by nothing"
        assert knob.help, f"{knob.name} has no help"
    envs = [k.env for k in settings.KNOBS if k.env]
    assert len(envs) == len(set(envs))
    assert all(env.startswith("LSTM_LAB_") for env in envs)


def test_the_grade_command_offers_every_grade_knob_from_the_table():
    parser = argparse.ArgumentParser()
    commands.add_grade_arguments(parser)
    dests = {action.dest for action in parser._actions}
    grade_knobs = {k.name for k in settings.KNOBS if k.scope == "grade"}
    assert grade_knobs <= dests
    args = parser.parse_args(
        ["sub", "--call-timeout", "30", "--recycle", "150", "--exercise", "ex02_windows",
         "--exercise", "ex03_labels", "--ahead", "0", "--title", "t"]
    )  # fmt: skip
    given = settings.given(args)
    assert given == {
        "call_timeout_max": 30.0,
        "recycle_mb": 150,
        "exercise": ["ex02_windows", "ex03_labels"],
        "ahead": "0",
        "title": "t",
    }
    with pytest.raises(SystemExit):
        parser.parse_args(["sub", "--exercise", "ex09_nothing"])


def test_precedence_flag_then_serialised_then_variable_then_default():
    environ = {"LSTM_LAB_CALL_TIMEOUT": "50", "LSTM_LAB_AHEAD": "0"}
    from_vars = settings.from_environ(environ)
    assert from_vars.call_timeout == 50.0 and from_vars.ahead == "0"
    assert from_vars.import_timeout == 120.0  # the default
    serialised = from_vars.replace(call_timeout=70)
    environ[settings.ENV] = serialised.to_json()
    environ["LSTM_LAB_CALL_TIMEOUT"] = "90"  # a child's own variable: the parent's value wins
    assert settings.from_environ(environ).call_timeout == 70.0
    assert settings.from_environ(environ).replace(call_timeout=5).call_timeout == 5.0
    assert settings.from_environ({"LSTM_LAB_AHEAD": ""}).ahead == "auto", "empty: not set"


def test_bad_values_name_the_knob_and_the_rule():
    with pytest.raises(ValueError, match=r"ahead must be one of"):
        settings.Settings().replace(ahead="2")
    with pytest.raises(ValueError, match=r"call_timeout \(LSTM_LAB_CALL_TIMEOUT\)"):
        settings.from_environ({"LSTM_LAB_CALL_TIMEOUT": "soon"})
    with pytest.raises(ValueError, match="unknown settings"):
        settings.Settings().replace(nonsense=1)


def test_one_value_crosses_a_process_boundary():
    chosen = settings.Settings().replace(recycle_mb=150, exercise=["ex02_windows"], zygote="0")
    assert settings.Settings.from_json(chosen.to_json()) == chosen
    code = (
        "from lstm_lab.grading import settings; s = settings.current(); "
        "print(s.recycle_mb, s.exercise, s.zygote)"
    )
    env = clean_env(**settings.for_child(chosen, worker=False))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["150", "('ex02_windows',)", "False"]


def test_a_worker_is_not_told_where_the_results_go():
    chosen = settings.Settings().replace(results="/somewhere/results.json", title="t", ahead="0")
    sent = json.loads(settings.for_child(chosen)[settings.ENV])
    assert "results" not in sent and "title" not in sent and sent["ahead"] == "0"


def test_applied_restores_the_environment():
    environ = {}
    with settings.applied(settings.Settings().replace(ahead="1"), environ):
        assert settings.from_environ(environ).ahead == "1"
    assert environ == {}
