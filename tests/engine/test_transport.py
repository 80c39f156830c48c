"""The judge's side of the transport: messages, workers, time, and questions from a worker.

These tests drive ``TargetProxy`` in this process (it is the judge here), with the mini targets
of ``fixtures/`` and the hostile overlays of ``hostile/``.
"""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import time
import zipfile

import numpy as np
import pytest
from engine_support import ENGINE, HOSTILE, assemble, hostile_marker_processes

from lstm_lab.grading import budget, codec, errors, proxy, sandbox, settings, spawn
from lstm_lab.grading.proxy import TargetProxy
from lstm_lab.grading.relay import Relay

RELAY = ENGINE / "fixtures" / "relay"
X = np.arange(24, dtype=np.float64).reshape(3, 8) / 24
Y = np.array([0, 1, 0])


@pytest.fixture(autouse=True)
def _fresh_judge(monkeypatch):
    """No sandbox unless a test asks; every worker stopped and the budget cleared after."""
    monkeypatch.delenv(settings.ENV, raising=False)
    monkeypatch.delenv("LSTM_LAB_SANDBOX", raising=False)
    monkeypatch.setenv("LSTM_LAB_PRELOAD", "numpy,pandas,sklearn.model_selection,lstm_lab.data")
    yield
    proxy.close_all()
    budget.BUDGET.reset()


def caged(monkeypatch, **options):
    policy = sandbox.Policy.detect(drop=False, **options)
    monkeypatch.setenv("LSTM_LAB_SANDBOX", json.dumps(policy.to_dict()))
    return policy


# -- messages --------------------------------------------------------------------------------------
def message(body: dict, members: dict[str, bytes], compress=zipfile.ZIP_STORED) -> bytes:
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w", compress) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    text, npz = json.dumps(body).encode(), blob.getvalue()
    return struct.pack("!4sII", b"LLC1", len(text), len(npz)) + text + npz


def npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def lying_npy(shape) -> bytes:
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}".ljust(117) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * 16


def test_codec_round_trips_plain_data():
    value = {
        "a": np.arange(6, dtype=np.int64).reshape(2, 3),
        "f": np.asfortranarray(np.ones((2, 3), dtype=np.float32)),
        "b": np.array([True, False]),
        "t": (1, 2.5, None, "x", [float("nan"), float("inf")]),
    }
    back = codec.decode(codec.encode(value))
    np.testing.assert_array_equal(back["a"], value["a"])
    np.testing.assert_array_equal(back["f"], value["f"])
    assert back["b"].dtype == np.bool_
    assert back["t"][:4] == (1, 2.5, None, "x")
    assert np.isnan(back["t"][4][0]) and back["t"][4][1] == float("inf")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(
            message(
                {"ok": {"__array__": "a0"}}, {"a0.npy": npy(np.zeros(3))}, zipfile.ZIP_DEFLATED
            ),
            id="compressed",
        ),
        pytest.param(
            message({"ok": {"__array__": "a0"}}, {"a0.npy": lying_npy((10**12,))}),
            id="header-lies-about-size",
        ),
        pytest.param(
            message({"ok": {"__array__": "a0"}}, {"a0.npy": npy(np.array(["text"]))}),
            id="string-dtype",
        ),
        pytest.param(message({"ok": 1}, {"../evil.npy": npy(np.zeros(1))}), id="member-name"),
        pytest.param(message({"ok": {"__array__": "a7"}}, {}), id="missing-array"),
        pytest.param(b"LLC1" + b"\0" * 20, id="truncated"),
        pytest.param(struct.pack("!4sII", b"LLC1", 5, 0) + b"{oops", id="bad-json"),
        pytest.param(
            struct.pack("!4sII", b"LLC1", 20002, 0) + b"[" * 10001 + b"]" * 10001, id="deep-nesting"
        ),
    ],
)
def test_codec_refuses_malformed_messages(bad):
    with pytest.raises(ValueError):
        codec.decode(bad)


def test_codec_refuses_object_arrays_without_running_them():
    data = io.BytesIO()
    np.save(data, np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        codec.decode(message({"ok": {"__array__": "a0"}}, {"a0.npy": data.getvalue()}))


# -- workers ---------------------------------------------------------------------------------------
def test_forked_and_fresh_workers_answer_alike(monkeypatch):
    forked = TargetProxy("solutions").call("ex02_windows", "sliding_windows", X, Y, 3)
    monkeypatch.setenv("LSTM_LAB_ZYGOTE", "0")
    fresh = TargetProxy("solutions").call("ex02_windows", "sliding_windows", X, Y, 3)
    for a, b in zip(forked, fresh):
        np.testing.assert_array_equal(a, b)


def test_an_env_that_libraries_read_at_start_gets_a_fresh_interpreter():
    target = TargetProxy("solutions", env={"TF_ENABLE_ONEDNN_OPTS": "0"})
    assert target.ping()
    assert not isinstance(target._proc, spawn._Forked)


def test_a_crashing_function_is_not_called_after_three_deaths(tmp_path, monkeypatch):
    target = TargetProxy(assemble(tmp_path, "crash", HOSTILE / "os_exit"), timeout=10)
    for _ in range(settings.current().crash_limit):
        with pytest.raises(errors.WorkerCrashed):
            target.call("ex02_windows", "sliding_windows", X, Y, 3)
    with pytest.raises(errors.NotCalledAgain, match="died in 3 calls"):
        target.call("ex02_windows", "sliding_windows", X, Y, 3)
    assert target.call("ex02_windows", "stateless_ceiling", 20, 10) == pytest.approx(6 / 11)


def test_an_import_that_never_ends_costs_one_import_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_LAB_IMPORT_TIMEOUT", "2")
    target = TargetProxy(assemble(tmp_path, "loop", HOSTILE / "loop_at_import"), timeout=60)
    started = time.monotonic()
    with pytest.raises(errors.CallTimeout, match="importing ex02_windows.py did not finish"):
        target.call("ex02_windows", "sliding_windows", X, Y, 3)
    assert time.monotonic() - started < 10
    with pytest.raises(errors.NotCalledAgain):
        target.call("ex02_windows", "stateless_ceiling", 20, 10)
    assert len(target.call("ex03_labels", "expand_labels", Y, 2)) == 6


def test_import_time_does_not_count_against_the_call(tmp_path):
    # The first call of a module pays its import apart: a 1 s limit still fits an import.
    target = TargetProxy("solutions", timeout=1.0)
    assert target.call("ex03_labels", "expand_labels", Y, 2).tolist() == [0, 0, 1, 1, 0, 0]


def test_an_exercise_cannot_spend_more_than_its_share(tmp_path):
    target = TargetProxy(assemble(tmp_path, "slow", HOSTILE / "loop_forever"), timeout=60)
    budget.BUDGET.start(per_exercise=1.5)
    budget.BUDGET.exercise = "ex02_windows"
    with pytest.raises(errors.OutOfTime, match="ex02_windows used up its 1.5 s"):
        target.call("ex02_windows", "sliding_windows", X, Y, 3)
    with pytest.raises(errors.OutOfTime):
        target.call("ex02_windows", "stateless_ceiling", 20, 10)
    budget.BUDGET.exercise = "ex03_labels"
    assert len(target.call("ex03_labels", "expand_labels", Y, 2)) == 6
    assert budget.BUDGET.spent["ex02_windows"] >= 1.5


def test_the_solutions_are_not_charged_to_an_exercise():
    reference = TargetProxy("solutions")
    budget.BUDGET.start(per_exercise=0.001)
    budget.BUDGET.exercise = "ex02_windows"
    assert reference.call("ex02_windows", "stateless_ceiling", 20, 10) == pytest.approx(6 / 11)


def test_the_stderr_quoted_to_students_leaves_library_noise_out(tmp_path):
    target = TargetProxy(assemble(tmp_path, "exit", HOSTILE / "os_exit"))
    with pytest.raises(errors.WorkerCrashed) as caught:
        target.call("ex02_windows", "sliding_windows", X, Y, 3)
    assert "I0000" not in str(caught.value)


# -- the sandbox, as the judge applies it ----------------------------------------------------------
def test_nothing_a_call_started_survives_it(tmp_path, monkeypatch):
    caged(monkeypatch)
    target = TargetProxy(assemble(tmp_path, "daemon", HOSTILE / "fork_daemon"))
    target.call("ex02_windows", "sliding_windows", X, Y, 3)
    # The judge has sent SIGKILL to the sleeper before the call returned; the kernel may take a
    # moment to tear it down. Only this test's sleeper counts (its command line names tmp_path),
    # not those of a grade running beside it.
    marker = "lstm-lab-hostile-fork-daemon"
    deadline = time.monotonic() + 5
    while hostile_marker_processes(marker, tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert hostile_marker_processes(marker, tmp_path) == []


@pytest.mark.parametrize("cgroups", ["1", "0"], ids=["cgroup", "rlimit-and-polling"])
def test_a_worker_past_its_memory_is_stopped(tmp_path, monkeypatch, cgroups):
    monkeypatch.setenv("LSTM_LAB_SANDBOX_CGROUPS", cgroups)
    policy = caged(monkeypatch, memory_mb=300)
    if cgroups == "1" and policy.memory != "cgroup":
        pytest.skip("no writable cgroup v1 memory controller here")
    target = TargetProxy(assemble(tmp_path, "bomb", HOSTILE / "memory_bomb"), timeout=60)
    with pytest.raises((errors.WorkerCrashed, errors.StudentError)) as caught:
        target.call("ex02_windows", "sliding_windows", X, Y, 3)
    message = str(caught.value)
    assert "300 MB" in message or "MemoryError" in message
    assert target.call("ex02_windows", "stateless_ceiling", 20, 10) == pytest.approx(6 / 11)


# -- questions from the worker ---------------------------------------------------------------------
def test_without_a_handler_every_question_is_refused():
    target = TargetProxy(RELAY)
    kind, text = target.call("ex05_training", "ask_and_catch", {"op": "call"})
    assert kind == "JudgeError" and "answers no questions" in text


@pytest.mark.parametrize("zygote", ["1", "0"], ids=["forked", "fresh-interpreter"])
def test_a_relay_answers_allowed_functions_with_the_reference(monkeypatch, zygote):
    # A fresh interpreter runs the worker as ``python -m``: its questions must still reach the
    # judge (the channel is set on the module the scenarios import, not on ``__main__``).
    monkeypatch.setenv("LSTM_LAB_ZYGOTE", zygote)
    reference = TargetProxy("solutions")
    relay = Relay(reference, allow=["ex03_labels.stateful_batches"])
    target = TargetProxy(RELAY, callbacks=relay)
    X3 = np.arange(4 * 6, dtype=np.float64).reshape(4, 6)
    during, after = target.call("ex05_training", "layout_with_reference", X3, Y[:2].repeat(2), 2, 3)
    expected = reference.call("ex03_labels", "stateful_batches", X3, Y[:2].repeat(2), 2, 3)
    np.testing.assert_array_equal(during[0], expected[0])
    np.testing.assert_array_equal(during[1], expected[1])
    assert after[0].shape == (1,)  # the stand-in is gone after the block


def test_a_relay_refuses_what_it_does_not_allow():
    relay = Relay(TargetProxy("solutions"), allow=["ex03_labels.stateful_batches"])
    target = TargetProxy(RELAY, callbacks=relay)
    question = {"op": "call", "module": "ex05_training", "function": "train_stateful"}
    kind, text = target.call("ex05_training", "ask_and_catch", question)
    assert kind == "JudgeError" and "does not answer for ex05_training.train_stateful" in text


def test_a_reference_value_error_reaches_the_target_as_value_error():
    relay = Relay(TargetProxy("solutions"), allow=["ex03_labels.stateful_batches"])
    target = TargetProxy(RELAY, callbacks=relay)
    question = {
        "op": "call",
        "module": "ex03_labels",
        "function": "stateful_batches",
        "args": [X, Y, 2, 1],
    }  # 3 sequences in batches of 2: the reference refuses
    kind, text = target.call("ex05_training", "ask_and_catch", question)
    assert kind == "ValueError" and "batch_size" in text


def test_a_reference_callback_resets_the_targets_model(monkeypatch):
    monkeypatch.setenv("LSTM_LAB_PRELOAD", "numpy,keras")
    relay = Relay(TargetProxy("solutions"), allow=["ex04_stateful.ResetStatesEvery"])
    target = TargetProxy(RELAY, callbacks=relay, timeout=120)
    assert target.call("ex05_training", "resets_with_reference_callback", 3, 9) == [0, 3, 6]


def test_a_reference_function_of_a_model_acts_on_the_targets_model(monkeypatch):
    monkeypatch.setenv("LSTM_LAB_PRELOAD", "numpy,keras")
    relay = Relay(TargetProxy("solutions"), allow=["ex04_stateful.reset_states"])
    target = TargetProxy(RELAY, callbacks=relay, timeout=120)
    count, dirty = target.call("ex05_training", "reset_with_reference", 2)
    assert count == 1 and dirty == [False, False]


def test_exercise_limits_can_differ_by_exercise():
    limits = budget.parse_exercise_limits(["60", "ex05_training=400"])
    assert limits == {"*": 60.0, "ex05_training": 400.0}
    budget.BUDGET.start(per_exercise=limits)
    assert budget.BUDGET.exercise_limit("ex05_training") == 400
    assert budget.BUDGET.exercise_limit("ex01_lifecycle") == 60
    with pytest.raises(ValueError):
        budget.parse_exercise_limits(["ex09=1"])


# -- ex05 graded on the reference's pieces ---------------------------------------------------------
BROKEN_PIECES = """

def stateful_batches(X, y, batch_size, chunk=1):
    raise ValueError("this submission's stateful_batches is broken")
"""
BROKEN_BUILDER = """

def build_stateful_classifier(batch_size, chunk=1, units=8, features=1, learning_rate=0.01):
    raise NotImplementedError
"""


@pytest.mark.needs_stateful("carry", "backprop")
def test_ex05_runs_on_the_reference_pieces_and_only_with_a_relay(tmp_path, monkeypatch):
    # A submission whose ex03 and ex04 are broken: on its own pieces ex05 cannot train; on the
    # reference's, relayed by the judge, it trains, resets at group starts and converges.
    monkeypatch.setenv("LSTM_LAB_PRELOAD", "numpy,keras")
    from lstm_lab.data import echo_split
    from lstm_lab.grading.relay import REFERENCE_PIECES

    submission = assemble(tmp_path, "submission")
    for module, broken in (("ex03_labels", BROKEN_PIECES), ("ex04_stateful", BROKEN_BUILDER)):
        path = submission / f"{module}.py"
        path.write_text(path.read_text() + broken)
    X_train, X_val, y_train, y_val = echo_split(0)
    data = (X_train, y_train, X_val, y_val)

    own = TargetProxy(submission, timeout=300)
    with pytest.raises(errors.GradingFailure, match="broken"):
        own.scenario("train_inputs_probe", "train_stateful", *data, batch_size=90, chunk=10)

    relay = Relay(TargetProxy("solutions"), allow=REFERENCE_PIECES)
    target = TargetProxy(submission, callbacks=relay, timeout=300)
    result = target.scenario(
        "train_on_reference_probe", "train_stateful", *data, batch_size=90, chunk=10
    )
    assert result["pieces"] == list(REFERENCE_PIECES)
    assert result["model"]["input_shape"] == [90, 10, 1]
    (fit,) = [f for f in result["fit_calls"] if f["stateful"]]
    zero_at = [batch for batch, zero, carried in fit["batches"] if zero and not carried]
    assert zero_at and all(batch % 2 == 0 for batch in zero_at), zero_at
    assert result["history"]["val_accuracy"][-1] == 1.0
    # The stand-ins are gone after the scenario: the submission's own pieces are back.
    with pytest.raises(errors.GradingFailure, match="broken"):
        target.call("ex03_labels", "stateful_batches", X_train, y_train, 90, 10)


def test_a_relayed_builder_sends_the_reference_model_without_weights(monkeypatch):
    monkeypatch.setenv("LSTM_LAB_PRELOAD", "numpy,keras")
    reference = TargetProxy("solutions", timeout=120)
    relay = Relay(reference, allow=["ex04_stateful.build_stateful_classifier"])
    question = {
        "op": "build",
        "module": "ex04_stateful",
        "function": "build_stateful_classifier",
        "args": [10, 2, 4, 1, 0.05],
    }
    answer = relay(question)
    config = json.loads(answer["config"])
    assert "weights" not in answer
    assert answer["compile"]["loss"] == "binary_crossentropy"
    assert answer["compile"]["optimizer"]["config"]["learning_rate"] == pytest.approx(0.05)
    assert "LSTM" in answer["config"] and config["class_name"] in ("Sequential", "Functional")
    with pytest.raises(PermissionError):
        relay({**question, "function": "reset_states"})


# -- stubs -----------------------------------------------------------------------------------------
def test_a_stub_is_not_called_again_within_a_test_but_is_in_the_next():
    # Hypothesis shrinks a failing example with many calls: within one test, a function that
    # raised NotImplementedError is answered without a round trip to the worker.
    stubs = TargetProxy("exercises")
    budget.new_test()
    with pytest.raises(errors.NotImplementedYet):
        stubs.call("ex03_labels", "expand_labels", Y, 3)
    os.kill(stubs.pid, signal.SIGKILL)  # a call that reached the worker would restart it
    stubs._proc.wait()
    with pytest.raises(errors.NotImplementedYet, match="not implemented yet"):
        stubs.call("ex03_labels", "expand_labels", Y, 5)
    assert stubs.restarts == 0
    budget.new_test()
    with pytest.raises(errors.NotImplementedYet):
        stubs.call("ex03_labels", "expand_labels", Y, 3)
    assert stubs.restarts == 1, "the next test calls the target again"
