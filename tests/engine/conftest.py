"""Tests of the grader itself (``lstm-lab grade``, the sandbox, the bundles).

Helpers live in ``engine_support.py``; the mini suite (``fixtures/``) and the hostile
submissions (``hostile/``) are data, not tests.
"""

from __future__ import annotations

import os

import pytest
from engine_support import cheap_args, drop_wrapper, grade, python_home, worker_user_turn

from lstm_lab.grading import sandbox

#: Not collected by a plain ``pytest``: the mini suite and the hostile submissions are data.
collect_ignore = ["fixtures", "hostile"]


@pytest.fixture(scope="session")
def reference_scores(tmp_path_factory):
    """The reference's points on the cheap exercises, graded once per process: what an attack in
    ex02 may not exceed and what ex03 must keep (test_hostile, test_confinement)."""
    graded = grade("solutions", *cheap_args(), tmp_path=tmp_path_factory.mktemp("reference"))
    assert graded.code == 0, graded.output
    return {m: graded.module_score(m) for m in ("ex02_windows", "ex03_labels")}


@pytest.fixture(scope="session")
def gradescope_wrapper(tmp_path_factory):
    """The command prefix that lets workers drop privileges (skips when this machine cannot)."""
    wrapper = drop_wrapper(tmp_path_factory.mktemp("python_home"))
    if wrapper is None:
        pytest.skip("needs root and a way to let an unprivileged user run Python (unshare -m)")
    # The wrapper makes the interpreter's home under /root readable; the rest of what a worker
    # reads (a virtualenv's site-packages, lstm_lab) must be readable already. Where it is not
    # (tox makes .tox mode 700), the grader rightly falls back to workers running as root, and
    # what these tests check cannot be shown here.
    home = python_home()
    paths = sandbox.runtime_paths()
    outside = [p for p in paths if home is None or not p.startswith(home + os.sep)]
    user, uid, gid, _ = sandbox.worker_user()
    blocked = sandbox.unreadable_as(uid, gid, outside)
    if blocked is not None:
        pytest.skip(
            f"user {user} cannot read {blocked}, which its Python needs (a folder on the way is "
            "private to root, as tox's .tox is): workers cannot drop privileges here"
        )
    return wrapper


@pytest.fixture
def as_gradescope(gradescope_wrapper):
    """The wrapper that makes workers drop privileges, and this machine's turn to use it.

    The test holds the turn (``worker_user_turn``) from setup to teardown: no other grade whose
    workers run as the worker user runs meanwhile, in this session or another, so that an attack
    on that user's processes (``kill_judge``) reaches only its own grade's, as on Gradescope.
    """
    with worker_user_turn():
        yield gradescope_wrapper
