"""``lstm-lab class report OUT``: a feedback page per student and the instructor's dashboard.

    OUT/index.html                 the dashboard: score distribution, pass rate of every test,
                                   the most frequent failure hints, late submissions, failed
                                   grades, problems of the input, grading time per submission
    OUT/img/*.png                  its plots (matplotlib, no JavaScript)
    OUT/students/<student>.html    what lstm-lab grade tells the student: a table per exercise,
                                   each test's status, points and message

A student's page shows each test as its visibility says (the grade's ``--hidden-visibility``):
``visible`` and ``after_published`` always (writing the report publishes it), ``after_due_date``
once ``--due`` has passed (always when no due date was given), ``hidden`` never: those are
counted, not shown.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from ..target import MODULES
from . import gradebook as gb
from .status import summary

STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.passed{color:#176117}
.failed{color:#a11}pre{white-space:pre-wrap;margin:0;font-size:90%}img{max-width:100%}"""
#: How many failure hints the dashboard lists.
TOP_HINTS = 12


def _page(title: str, body: list[str]) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def safe_name(key: str) -> str:
    """A file name for a student key (the same key, the same name)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", key) or "_"


def _num(value) -> str:
    return "" if value is None else f"{value:g}"


# -- a student's page ------------------------------------------------------------------------------
def shown(result: gb.Result, due: datetime | None, now: datetime) -> bool:
    if result.visibility == "hidden":
        return False
    if result.visibility == "after_due_date":
        return due is None or now >= due
    return True


def student_page(sub: gb.Submission, due: datetime | None, now: datetime) -> str:
    student = sub.student
    body = [
        f"<h1>{html.escape(student.name)}</h1>",
        f"<p>Submission {html.escape(sub.label)} ({html.escape(sub.source)})"
        + (f", {sub.days_late} day(s) late" if sub.late else "")
        + "</p>",
    ]
    body += [f'<p class="failed">{html.escape(p)}</p>' for p in sub.problem_list]
    run = gb.last_final(sub)
    if run is None:
        return _page(student.name, [*body, "<p>Not graded yet.</p>"])
    if run.status != "graded":
        reason = f"{run.status}: {run.reason}"
        return _page(student.name, [*body, f'<p class="failed">{html.escape(reason)}</p>'])
    total = f"{_num(run.score)} / {_num(run.max_score)} points"
    if run.score != run.raw_score:
        total += f" (before the late policy: {_num(run.raw_score)})"
    body.append(f"<h2>Total: {total}</h2>")
    withheld = 0
    for module in MODULES:
        results = [r for r in run.results if r.module == module]
        if not results:
            continue
        visible = [r for r in results if shown(r, due, now)]
        withheld += len(results) - len(visible)
        got = sum(r.score for r in results)
        top = sum(r.max_score for r in results)
        body.append(f"<h3>{module}: {got:g} / {top:g} points</h3>")
        body.append(
            _table(["status", "test", "points", "message"], [_test_row(r) for r in visible])
        )
    if withheld:
        body.append(f"<p>{withheld} hidden test(s) are counted in the total but not shown.</p>")
    return _page(student.name, body)


def _test_row(result: gb.Result) -> list[str]:
    css = "passed" if result.status == "passed" else "failed"
    name = result.name.split(": ", 1)[-1] + (" (hidden)" if result.hidden else "")
    return [
        f'<span class="{css}">{html.escape(result.status)}</span>',
        html.escape(name),
        f"{result.score:g} / {result.max_score:g}",
        f"<pre>{html.escape(result.output)}</pre>" if result.output else "",
    ]


# -- the dashboard ---------------------------------------------------------------------------------
def _plots(out: Path, runs: list[tuple[str, gb.Run]], rates: list[tuple[str, float]]) -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    graded = [(s, r) for s, r in runs if r.status == "graded"]

    def save(name, title, draw, height=3.5):
        figure, axes = plt.subplots(figsize=(9, height))
        draw(axes)
        axes.set_title(title)
        figure.tight_layout()
        figure.savefig(out / "img" / name, dpi=80)
        plt.close(figure)
        made.append((name, title))

    if graded:
        top = max(r.max_score or 0 for _, r in graded) or 1
        save(
            "scores.png",
            "Final scores",
            lambda ax: (
                ax.hist([r.score for _, r in graded], bins=20, range=(0, top), color="#4a7ab0"),
                ax.set_xlabel("points"),
                ax.set_ylabel("students"),
            ),
        )
    if rates:
        save(
            "pass_rates.png",
            "Pass rate per test",
            lambda ax: (
                ax.barh([n for n, _ in rates], [100 * r for _, r in rates], color="#5a9e5a"),
                ax.set_xlabel("% of graded students"),
                ax.invert_yaxis(),
                ax.tick_params(axis="y", labelsize=6),
            ),
            height=max(3.0, 0.18 * len(rates)),
        )
    timed = [(s, r.seconds) for s, r in runs if r.seconds is not None]
    if timed:
        save(
            "grading_time.png",
            "Grading time per submission",
            lambda ax: (
                ax.bar([s for s, _ in timed], [t for _, t in timed], color="#b07a4a"),
                ax.set_ylabel("seconds"),
                ax.tick_params(axis="x", rotation=90, labelsize=7),
            ),
        )
    return made


def pass_rates(runs: list[tuple[str, gb.Run]]) -> list[tuple[str, float]]:
    counts: dict[str, list[int]] = {}
    for _, run in runs:
        for result in run.results:
            seen = counts.setdefault(result.name, [0, 0])
            seen[0] += result.status == "passed"
            seen[1] += 1
    return [(name, passed / total) for name, (passed, total) in counts.items()]


def hints(runs: list[tuple[str, gb.Run]]) -> list[tuple[float, str, str]]:
    """The most frequent failure messages: ``(share of graded students, test, first line)``."""
    graded = [run for _, run in runs if run.status == "graded"]
    counter: Counter = Counter()
    for run in graded:
        seen = {(r.name, _first_line(r.output)) for r in run.results if r.status != "passed"}
        counter.update(key for key in seen if key[1] is not None)
    total = len(graded) or 1
    return [(n / total, name, line) for (name, line), n in counter.most_common(TOP_HINTS)]


#: Failures that are no mistake to learn from: a stub left as it was, a module not submitted.
NOT_A_HINT = re.compile(r"is not implemented yet|was not found in your submission")


def _first_line(text: str) -> str | None:
    """The hint of a failure message (its ``Hint:`` sentence, else its first line, without the
    case's label), or ``None`` for a stub or a missing module."""
    if NOT_A_HINT.search(text):
        return None
    hint = re.search(r"Hint: ([^\n]+)", text)
    lines = [line for line in text.splitlines() if line.strip() and "cases passed" not in line]
    line = hint.group(1) if hint else (lines[0] if lines else "failed")
    return re.sub(r"^\[[^\]]*\]\s*", "", line)[:300]


def dashboard(session: Session, out: Path) -> str:
    found = summary(session)
    subs = gb.current_submissions(session)
    runs = [(s.student.key, run) for s in subs if (run := gb.last_final(s)) is not None]
    rates = pass_rates([(s, r) for s, r in runs if r.status == "graded"])
    body = [
        f"<h1>lstm_lab: the class ({len(subs)} students)</h1>",
        f"<p>{len(found.graded)} graded, {len(found.failed)} failed, {len(found.running)} "
        f"running, {len(found.left)} left.</p>",
    ]
    body += [
        f'<img src="img/{name}" alt="{html.escape(title)}">'
        for name, title in _plots(out, runs, rates)
    ]
    body.append("<h2>Most frequent failures</h2>")
    body.append(
        _table(
            ["share of the class", "test", "hint"],
            [
                [f"{100 * share:.0f} %", html.escape(name), html.escape(line)]
                for share, name, line in hints(runs)
            ],
        )
    )
    body.append("<h2>Pass rate per test</h2>")
    body.append(
        _table(["test", "passed"], [[html.escape(n), f"{100 * r:.0f} %"] for n, r in rates])
    )
    body += _lists(found)
    body.append("<h2>Students</h2>")
    body.append(
        _table(
            ["student", "score", "status", "grading time"],
            [
                [
                    f'<a href="students/{safe_name(k)}.html">{html.escape(k)}</a>',
                    f"{_num(r.score)} / {_num(r.max_score)}",
                    html.escape(r.status),
                    f"{r.seconds:.1f} s" if r.seconds is not None else "",
                ]
                for k, r in runs
            ],
        )
    )
    return _page("lstm_lab class dashboard", body)


def _lists(found) -> list[str]:
    body = [
        "<h2>Late submissions</h2>",
        _table(
            ["student", "days late", "raw", "final"],
            [
                [
                    html.escape(s),
                    str(sub.days_late),
                    _num(run and run.raw_score),
                    _num(run and run.score),
                ]
                for s, sub, run in found.late
            ],
        ),
    ]
    body += [
        "<h2>Failed grades</h2>",
        _table(
            ["student", "status", "reason"],
            [
                [html.escape(s), html.escape(r.status), html.escape(r.reason)]
                for s, r in found.failed
            ],
        ),
    ]
    problems = [[html.escape(s), html.escape(p)] for s, p in found.problems]
    problems += [[html.escape(n.source), html.escape(n.message)] for n in found.notices]
    body += ["<h2>Problems with the input</h2>", _table(["student or source", "problem"], problems)]
    return body


def write(session: Session, out: Path) -> Path:
    """Write the report into ``out``; returns the dashboard's path."""
    (out / "img").mkdir(parents=True, exist_ok=True)
    (out / "students").mkdir(exist_ok=True)
    batch = gb.latest_batch(session)
    due_text = json.loads(batch.key).get("due") if batch is not None else None
    from .sources import parse_time, utcnow

    due = parse_time(due_text) if due_text else None
    now = utcnow()
    for sub in gb.current_submissions(session):
        path = out / "students" / f"{safe_name(sub.student.key)}.html"
        path.write_text(student_page(sub, due, now), encoding="utf-8")
    index = out / "index.html"
    index.write_text(dashboard(session, out), encoding="utf-8")
    return index
