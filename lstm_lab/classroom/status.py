"""``lstm-lab class status``: what the gradebook says, in lines for the instructor.

``summary(session)`` is the data (also used by the report); ``describe(session)`` the text.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import gradebook as gb


@dataclass
class Summary:
    batch: gb.Batch | None = None
    coordinator: str = ""
    graded: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    running: list = field(default_factory=list)
    left: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    late: list = field(default_factory=list)
    changed: list = field(default_factory=list)


def _alive(batch: gb.Batch) -> bool:
    if batch.host != socket.gethostname():
        return True  # another machine's: it cannot be checked from here
    try:
        os.kill(batch.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def score_change(sub: gb.Submission, student_subs) -> tuple[float, float] | None:
    """The student's last change of final score between two graded runs, if any."""
    runs = sorted(
        (run for s in student_subs for run in gb.final_runs(s) if run.status == "graded"),
        key=lambda run: run.id,
    )
    if len(runs) < 2 or runs[-1].score == runs[-2].score:
        return None
    return runs[-2].score, runs[-1].score


def summary(session: Session) -> Summary:
    found = Summary(batch=gb.latest_batch(session))
    batch = found.batch
    if batch is None:
        return found
    if batch.ended is None:
        found.coordinator = "grading now" if _alive(batch) else "interrupted (its process is gone)"
    from .batch import regrade_since

    since = regrade_since(session, batch)
    for sub in gb.current_submissions(session):
        _place(found, sub, batch, since)
    found.notices = list(session.scalars(select(gb.Notice).where(gb.Notice.batch_id == batch.id)))
    return found


def _place(found: Summary, sub: gb.Submission, batch: gb.Batch, since) -> None:
    student = sub.student.key
    found.problems += [(student, problem) for problem in sub.problem_list]
    running = [run for run in sub.runs if run.status == "running"]
    done = gb.final_runs(sub, batch.key, batch.suite_version)
    if since is not None:
        done = [run for run in done if run.ended is not None and run.ended >= since]
    if running and not done:
        found.running.append((student, running[-1]))
    elif not done:
        found.left.append((student, sub))
    elif done[-1].status == "graded":
        found.graded.append((student, done[-1]))
    else:
        found.failed.append((student, done[-1]))
    if sub.late:
        found.late.append((student, sub, done[-1] if done else None))
    change = score_change(sub, sub.student.submissions)
    if change is not None:
        found.changed.append((student, *change))


def _options(batch: gb.Batch) -> str:
    options = json.loads(batch.key)
    parts = [f"exercises {', '.join(options['exercises']) or 'all'}"]
    parts.append(f"late policy {options['late_policy']}")
    if options.get("due"):
        parts.append(f"due {options['due']}")
    return "; ".join(parts)


def describe(session: Session) -> str:
    found = summary(session)
    batch = found.batch
    if batch is None:
        return "the gradebook is empty: lstm-lab class grade SOURCE... --db URL fills it"
    ended = f"ended {batch.ended:%Y-%m-%d %H:%M:%S}" if batch.ended else found.coordinator
    lines = [
        f"batch {batch.id}{' (regrade)' if batch.regrade else ''}: started "
        f"{batch.started:%Y-%m-%d %H:%M:%S} UTC, {ended}",
        f"suite {batch.suite_version}; {_options(batch)}",
        f"{sum(map(len, (found.graded, found.failed, found.running, found.left)))} students: "
        f"{len(found.graded)} graded, {len(found.running)} running, {len(found.failed)} failed, "
        f"{len(found.left)} left",
    ]
    lines += _section("failed", [f"{s}: {r.status}: {r.reason}" for s, r in found.failed])
    lines += _section("running", [f"{s} (since {r.started:%H:%M:%S})" for s, r in found.running])
    lines += _section("left", [s for s, _ in found.left])
    lines += _section(
        "problems",
        [f"{s}: {p}" for s, p in found.problems]
        + [f"{n.source}: {n.message}" for n in found.notices],
    )
    lines += _section("late", [_late(s, sub, run) for s, sub, run in found.late])
    lines += _section(
        "score changed at a regrade",
        [f"{s}: {old:g} -> {new:g} ({new - old:+g})" for s, old, new in found.changed],
    )
    return "\n".join(lines)


def _late(student: str, sub: gb.Submission, run) -> str:
    days = f"{sub.days_late} day{'s' if sub.days_late != 1 else ''} late"
    if run is None or run.raw_score is None:
        return f"{student}: {days}"
    return f"{student}: {days}, raw {run.raw_score:g}, final {run.score:g}"


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"{title}:", *(f"  {line}" for line in lines)] if lines else []
