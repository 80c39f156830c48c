"""``lstm-lab class``: how progress is shown, and which tests a student's page shows (no
grading here)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

from lstm_lab.classroom import progress, report


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(status="graded", raw=30.0, score=30.0, reason=""):
    return SimpleNamespace(status=status, raw_score=raw, score=score, max_score=35.0,
                           reason=reason, seconds=3.25)  # fmt: skip


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    shown = progress.choose(stream)
    assert type(shown) is progress.Plain
    shown.start(2, 1)
    shown.advance("ada", _run())
    shown.advance("bob", _run("timeout", None, None, "the grade ran longer than 20 s"))
    lines = stream.getvalue().splitlines()
    assert lines == [
        "1 already graded (same content, suite and options): kept",
        "[1/2] ada: 30 / 35 (3.2 s)",
        "[2/2] bob: TIMEOUT: the grade ran longer than 20 s (3.2 s)",
    ]


def test_a_rich_bar_with_counts_on_a_terminal():
    stream = _Terminal()
    shown = progress.choose(stream)
    assert type(shown) is progress.Bar
    shown.start(2, 0)
    shown.advance("ada", _run(score=27.0))
    shown.advance("bob", _run("failed", None, None, "no results"))
    shown.close()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue())
    assert "ada: 30 / 35 (late: 27)" in text and "bob: FAILED: no results" in text
    assert "2/2" in text and "1 failed" in text


def test_a_student_page_shows_tests_as_their_visibility_says():
    now = datetime(2026, 12, 2)
    due_passed, due_ahead = now - timedelta(days=1), now + timedelta(days=1)

    def shown(visibility, due):
        return report.shown(SimpleNamespace(visibility=visibility), due, now)

    assert shown("visible", due_ahead) and shown("after_published", due_ahead)
    assert not shown("hidden", due_passed) and not shown("hidden", None)
    assert shown("after_due_date", due_passed) and not shown("after_due_date", due_ahead)
    assert shown("after_due_date", None)  # no deadline given: the report comes after it


def test_the_dashboard_counts_each_hint_once_a_student_and_skips_stubs():
    def run(*outputs):
        results = [SimpleNamespace(name=f"ex03_labels: test_{i}", status="failed", output=o)
                   for i, o in enumerate(outputs)]  # fmt: skip
        return ("s", SimpleNamespace(status="graded", results=results))

    tiled = "[y-1] Called expand_labels(y, 3). Hint: np.tile repeats the whole array"
    stub = "ex03_labels.expand_labels is not implemented yet: it still raises"
    runs = [run(tiled), run(tiled.replace("[y-1]", "[y-2]")), run(stub), run()]
    assert report.hints(runs) == [(0.5, "ex03_labels: test_0", "np.tile repeats the whole array")]
