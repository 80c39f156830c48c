"""The rubric's own set-up: tests that read one training run share a process.

The tests that check one training run share it (the ``shared`` fixture, per process): under
xdist, ``--dist loadgroup`` keeps them on one worker, and different runs spread across workers.
"""

from __future__ import annotations

import pytest

TRAINERS = ("train_stateful", "train_stateless", "train_per_timestep")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        trainer = next((t for t in TRAINERS if item.name.startswith(f"test_{t}")), None)
        if trainer is None:
            continue
        params = item.callspec.params if hasattr(item, "callspec") else {}
        key = "-".join(str(params.get(k, "")) for k in ("chunk", "batch_size", "seed"))
        item.add_marker(pytest.mark.xdist_group(f"{trainer}{key}"))
