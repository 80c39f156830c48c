"""Training ahead on a second worker (``lstm_lab.grading.ahead``): who runs what, what a test
reads, when a grade may do it. Fake workers here; ``test_grade.py`` grades a submission both
ways with real ones."""

from __future__ import annotations

import subprocess
import threading

import pytest

from lstm_lab.grading import ahead, commands
from lstm_lab.grading.budget import BUDGET
from lstm_lab.grading.errors import GradingFailure


class FakeProxy:
    """What ``Ahead`` uses of a ``TargetProxy``: ``pid`` and ``close``."""

    def __init__(self, pid=None):
        self.pid, self.closed = pid, False

    def close(self):
        self.closed = True


def gated(value, gate: threading.Event, started: threading.Event | None = None):
    def work(proxy):
        if started is not None:
            started.set()
        assert gate.wait(30), "the test never opened the gate"
        return value

    return work


def test_it_runs_the_plan_last_first_and_hands_the_runs_over():
    gate, started = threading.Event(), threading.Event()
    plan = [("a", "ex05_training", gated(1, gate)), ("c", "ex05_training", gated(3, gate, started))]
    runner = ahead.Ahead(FakeProxy(), plan).start()
    assert started.wait(30)  # it took the last run first
    assert runner.take("a") is None, "a run it has not started is the caller's to run"
    gate.set()
    assert runner.take("c")() == 3, "a run it started is waited for and handed over"
    runner.close()
    assert runner.ran == ["c"], "a run struck by the caller is not run again here"
    assert runner.proxy.closed
    assert "1 training runs were done ahead" in runner.summary()
    assert "never read" not in runner.summary()


def test_a_failure_of_a_run_reaches_the_test_that_reads_it():
    def fails(proxy):
        raise GradingFailure("ex05_training.train_stateless raised ValueError: no")

    runner = ahead.Ahead(FakeProxy(), [("k", "ex05_training", fails)]).start()
    runner._thread.join(30)
    outcome = runner.take("k")
    with pytest.raises(GradingFailure, match="raised ValueError: no"):
        outcome()
    runner.close()


def test_a_run_that_no_test_reads_is_reported():
    runner = ahead.Ahead(FakeProxy(), [("k", "ex05_training", lambda proxy: 1)]).start()
    runner._thread.join(30)
    runner.close()
    assert runner.summary().endswith("1 of them never read: ['k']")


def test_its_runs_are_charged_to_their_exercise():
    BUDGET.start(None, {"ex05_training": 100.0})
    BUDGET.exercise = "ex01_lifecycle"  # the tests running meanwhile
    seen = []

    def work(proxy):
        seen.append(BUDGET.exercise)
        BUDGET.charge(2.0)
        return None

    runner = ahead.Ahead(FakeProxy(), [("k", "ex05_training", work)]).start()
    runner._thread.join(30)
    runner.close()
    try:
        assert seen == ["ex05_training"]
        assert BUDGET.exercise == "ex01_lifecycle"
        assert BUDGET.spent == {"ex05_training": 2.0}
    finally:
        BUDGET.reset()


def test_close_ends_a_run_in_progress_by_killing_its_worker():
    worker = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:

        def work(proxy):
            worker.wait()  # the worker's answer never comes until it dies
            raise GradingFailure("the process running it died")

        runner = ahead.Ahead(FakeProxy(pid=worker.pid), [("k", "ex05_training", work)]).start()
        runner.close()
        assert not runner._thread.is_alive()
        assert worker.poll() is not None
    finally:
        worker.kill()
        worker.wait()


# -- when a grade may train ahead ------------------------------------------------------------------
def test_the_environment_decides_first():
    assert ahead.capacity({"LSTM_LAB_AHEAD": "0"}, cpus=8, memory_mb=10**5)[0] is False
    assert ahead.capacity({"LSTM_LAB_AHEAD": "1"}, cpus=0.5, memory_mb=700)[0] is True


@pytest.mark.parametrize(
    "cpus, memory_mb, allowed, says",
    [
        (2, 20_000, True, "two workers at once (2 CPUs"),
        (1, 20_000, False, "1 CPU available, a second worker needs 2"),
        (0.5, 768, False, "0.5 CPU available"),  # Gradescope's default container
        (4, 700, False, "700 MB of memory available, a second worker needs 1536"),
    ],
)
def test_it_needs_two_cpus_and_memory_for_a_second_worker(cpus, memory_mb, allowed, says):
    got, why = ahead.capacity({}, cpus=cpus, memory_mb=memory_mb)
    assert got is allowed
    assert says in why


# -- a grade in little memory recycles its workers sooner ------------------------------------------
@pytest.mark.parametrize(
    "given, room, expected, noted",
    [
        (None, 20_000, None, False),  # plenty: the proxy's default
        (None, 700, commands.TIGHT_RECYCLE_MB, True),  # Gradescope's 768 MB: sooner, and said
        (80, 700, 80, False),  # --recycle given: kept
        (0, 700, 0, False),  # --recycle 0 (never) given: kept
    ],
)
def test_a_grade_in_little_memory_replaces_its_workers_sooner(given, room, expected, noted):
    recycle, note = commands.recycle_for(given, room)
    assert recycle == expected
    assert (note is not None) is noted
    if noted:
        assert "700 MB of memory for the whole grade" in note and "--recycle" in note
