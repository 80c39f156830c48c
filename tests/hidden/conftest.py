"""The grader's side of the suite: differential checks against solutions/.

These tests are not shipped to students (``lstm-lab release`` leaves this folder out): they call
the reference solutions, which a student's copy does not have. Every test here is marked
``grader``.
"""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/hidden/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.grader)
