"""What a worker reports is evidence, not a verdict: a submission cannot make the relay answer
for it, nor rewrite the probes that measure it into a pass.

Each hostile submission (``hostile/relay_forward``, ``hostile/forge_probes``) is graded with the
modules beside it: it scores at most what its honest part earns, and every other module keeps
full marks.
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
    # The probes report zero states, the judge's weights and self-consistent outputs: the judge
    # computes what its own weights give and fails every reset check; the builder's tests, the
    # honest part, keep their points, and so do ex02 and ex03.
    target = assemble(tmp_path, "submission", HOSTILE / "forge_probes")
    graded = grade(target, *args(), tmp_path=tmp_path, cheap=False)
    tests = {t["name"].split(": ", 1)[1]: t for t in graded.tests_of("ex04_stateful")}
    forged = [n for n in tests if n.startswith(("test_reset_states", "test_reset_callback"))]
    assert forged and all(tests[n]["score"] == 0 for n in forged), graded.output
    honest = [n for n in tests if n.startswith("test_build_stateful_classifier")]
    assert honest and all(tests[n]["score"] == tests[n]["max_score"] for n in honest)
    for module in ("ex02_windows", "ex03_labels"):
        assert graded.module_score(module) == reference.module_score(module), graded.output
