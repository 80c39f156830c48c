"""What a worker reports is evidence, not a verdict: a submission cannot make the relay answer
for it, nor rewrite the probes that measure it into a pass.

Each hostile submission (``hostile/relay_forward``, ``forge_probes``, ``patch_probes``,
``outlive_module``, ``relay_poison``) is graded with the modules beside it: it scores at most what
its honest part earns, and every other module keeps full marks.
"""

from __future__ import annotations

import pytest
from engine_support import HOSTILE, assemble, grade

MODULES = ("ex02_windows", "ex03_labels", "ex04_stateful")


def args() -> list[str]:
    return [a for m in MODULES for a in ("--exercise", m)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    graded = grade("solutions", *args(), tmp_path=tmp_path_factory.mktemp("ref"), cheap=False)
    assert graded.code == 0, graded.output
    return graded


def test_the_relay_answers_only_the_module_graded_on_reference_pieces(tmp_path, reference):
    # ex03 forwards its functions to the relay meant for ex05's runs: refused, so ex03 earns
    # nothing it did not implement; ex02 and ex04 keep full marks.
    target = assemble(tmp_path, "submission", HOSTILE / "relay_forward")
    graded = grade(target, *args(), tmp_path=tmp_path, cheap=False)
    got, top = graded.module_score("ex03_labels")
    assert got == 0, graded.output
    assert "answers questions only from the calls of ex05_training" in graded.output
    for module in ("ex02_windows", "ex04_stateful"):
        assert graded.module_score(module) == reference.module_score(module), graded.output


def test_rewritten_probes_earn_nothing_for_resets_never_done(tmp_path, reference):
    # The probes report zero states, the judge's weights and self-consistent outputs. The
    # worker's tripwire sees the grader's functions replaced: every answer of that worker is
    # refused, so ex04 earns nothing (its honest builder with it: a tampered process can vouch
    # for nothing), and ex02 and ex03, in workers of their own, keep full marks.
    target = assemble(tmp_path, "submission", HOSTILE / "forge_probes")
    graded = grade(target, *args(), tmp_path=tmp_path, cheap=False)
    tests = {t["name"].split(": ", 1)[1]: t for t in graded.tests_of("ex04_stateful")}
    forged = [n for n in tests if n.startswith(("test_reset_states", "test_reset_callback"))]
    assert forged and all(tests[n]["score"] == 0 for n in forged), graded.output
    assert graded.module_score("ex04_stateful")[0] == 0, graded.output
    messages = " ".join(t.get("output", "") for t in tests.values())
    assert "replaced parts of the grader running beside it" in messages, graded.output
    assert "lstm_lab.grading.scenarios.reset_states_probe" in messages, graded.output
    for module in ("ex02_windows", "ex03_labels"):
        assert graded.module_score(module) == reference.module_score(module), graded.output


def test_a_patched_probe_and_keras_fit_earn_nothing(tmp_path, reference):
    # ex01 trains nothing, reports a perfect fit through a rewritten probe and replaces
    # keras.Model.fit: all of ex01 is refused with the names replaced; ex02 and ex03 untouched.
    target = assemble(tmp_path, "submission", HOSTILE / "patch_probes")
    graded = grade(target, "--exercise", "ex01_lifecycle", *args()[:4], tmp_path=tmp_path)
    assert graded.module_score("ex01_lifecycle")[0] == 0, graded.output
    messages = " ".join(t.get("output", "") for t in graded.tests_of("ex01_lifecycle"))
    assert "lstm_lab.grading.scenarios.lifecycle_probe" in messages, graded.output
    assert "keras.Model.fit" in messages, graded.output
    for module in ("ex02_windows", "ex03_labels"):
        assert graded.module_score(module) == reference.module_score(module), graded.output


def test_what_a_module_leaves_in_its_interpreter_cannot_reach_another_modules_tests(
    tmp_path, reference
):
    # ex02 leaves profile and trace hooks, a thread, signal handlers, an alarm, an atexit
    # handler and a patched numpy.repeat, all aimed at ex03: ex03's tests run in a worker of
    # their own and keep full marks.
    target = assemble(tmp_path, "submission", HOSTILE / "outlive_module")
    graded = grade(target, *args()[:4], tmp_path=tmp_path)
    assert graded.module_score("ex03_labels") == reference.module_score("ex03_labels"), (
        graded.output
    )
    got, top = graded.module_score("ex02_windows")
    assert got <= reference.module_score("ex02_windows")[0], graded.output


def test_a_poisoned_relay_is_the_asking_modules_fault_only(tmp_path, reference):
    # ex05 asks the relay, at import, for questions over the size limit, answers over the message
    # limit, and functions it is not allowed: each refused or failed for ex05 alone; the
    # solutions' worker keeps every function the other modules' checks need.
    target = assemble(tmp_path, "submission", HOSTILE / "relay_poison")
    graded = grade(
        target,
        *args(),
        "--exercise",
        "ex05_training",
        "--ahead",
        "0",
        "-k",
        "not ex05 or train_per_timestep_converges",
        tmp_path=tmp_path,
        cheap=False,
    )
    for module in MODULES:
        assert graded.module_score(module) == reference.module_score(module), graded.output
    got, top = graded.module_score("ex05_training")
    assert top > 0 and got <= top, graded.output
    assert "refusing" not in graded.output and "struck" not in graded.output.lower()
