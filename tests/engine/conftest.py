"""Tests of the grader itself (``lstm-lab grade``, the sandbox, the bundles).

Helpers live in ``engine_support.py``; the mini suite (``fixtures/``) and the hostile
submissions (``hostile/``) are data, not tests.
"""

from __future__ import annotations

import pytest
from engine_support import drop_wrapper

#: Not collected by a plain ``pytest``: the mini suite and the hostile submissions are data.
collect_ignore = ["fixtures", "hostile"]


@pytest.fixture(scope="session")
def as_gradescope(tmp_path_factory):
    """The wrapper that makes workers drop privileges (skips when this machine cannot)."""
    wrapper = drop_wrapper(tmp_path_factory.mktemp("python_home"))
    if wrapper is None:
        pytest.skip("needs root and a way to let an unprivileged user run Python (unshare -m)")
    return wrapper
