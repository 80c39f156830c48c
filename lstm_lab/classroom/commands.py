"""``lstm-lab class``: grade a whole class into a gradebook, and what comes out of it.

    lstm-lab class grade SOURCE... [--db URL] [--jobs N] [--due ISO] [--late-policy P]
                                   [--regrade] [--exercise MODULE ...] [--tests DIR]
    lstm-lab class status [--db URL]
    lstm-lab class export [--db URL] --format csv|canvas --out FILE
    lstm-lab class report [--db URL] OUT

Exit codes: 0 done, 2 when the command could not start (a bad argument, a gradebook that cannot
be opened, workers that cannot be confined).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ..target import MODULES
from .gradebook import DEFAULT_URL


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"--jobs must be a whole number of at least 1, got {text!r}"
        )
    return value


def _with_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=DEFAULT_URL,
        help=f"the gradebook, a SQLAlchemy URL (default: {DEFAULT_URL})",
    )


def _add_grade(sub) -> None:
    from .batch import check_due, check_late_policy

    def checked(check):
        def parse(text):
            try:
                return check(text)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None

        return parse

    grade = sub.add_parser("grade", help="grade every submission of SOURCE into the gradebook")
    grade.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="a folder of submission folders, a .zip of them, a Canvas or "
        "Gradescope export, or a folder of GitHub Classroom clones",
    )
    _with_db(grade)
    grade.add_argument(
        "--jobs",
        type=_positive,
        metavar="N",
        help="grades at a time (default: from the CPUs and memory free)",
    )
    grade.add_argument(
        "--due",
        type=checked(check_due),
        metavar="ISO-8601",
        help="the deadline (a time without a zone is UTC)",
    )
    grade.add_argument(
        "--late-policy",
        type=checked(check_late_policy),
        default="none",
        metavar="none|zero|percent-per-day:N",
        help="the final score of a late submission (default: none)",
    )
    grade.add_argument(
        "--regrade",
        action="store_true",
        help="grade again what is already graded (the old runs are kept)",
    )
    _add_passed_on(grade)


def _add_passed_on(grade: argparse.ArgumentParser) -> None:
    """The flags passed on to each submission's ``lstm-lab grade``, and its timeout."""
    grade.add_argument(
        "--exercise",
        action="append",
        choices=MODULES,
        default=[],
        metavar="MODULE",
        help="grade only this exercise module (repeatable; passed on to lstm-lab grade)",
    )
    grade.add_argument("--tests", metavar="DIR", help="the suite (default: tests/ of lstm_lab)")
    grade.add_argument(
        "--hidden-visibility",
        choices=("visible", "hidden", "after_due_date", "after_published"),
        help="passed on to lstm-lab grade",
    )
    grade.add_argument(
        "--time-limit",
        type=float,
        metavar="SECONDS",
        help="each grade's time (passed on to lstm-lab grade)",
    )
    grade.add_argument(
        "--grade-timeout",
        type=float,
        metavar="SECONDS",
        help="kill a grade that runs longer (default: the time limit + 300, else 1800)",
    )


def add_class_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="class_command", required=True, metavar="SUBCOMMAND")
    _add_grade(sub)
    status = sub.add_parser("status", help="what is graded, running, failed and left")
    _with_db(status)
    export = sub.add_parser("export", help="the gradebook as a CSV or a Canvas import file")
    _with_db(export)
    export.add_argument("--format", choices=("csv", "canvas"), required=True)
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument(
        "--assignment",
        default="lstm_lab",
        help="canvas: the assignment's column, as Canvas names it in its "
        "export, e.g. 'LSTM lab (123456)' (default: lstm_lab)",
    )
    report = sub.add_parser("report", help="a feedback page per student and a dashboard")
    _with_db(report)
    report.add_argument("out", metavar="OUT", help="the folder to write index.html into")


def class_command(args: argparse.Namespace) -> int:
    from .gradebook import GradebookError

    command = {
        "grade": grade_command,
        "status": status_command,
        "export": export_command,
        "report": report_command,
    }[args.class_command]
    try:
        return command(args)
    except GradebookError as exc:
        print(f"lstm-lab class {args.class_command}: {exc}", file=sys.stderr)
        return 2


# -- grade -----------------------------------------------------------------------------------------
def refusal(tests: Path) -> str | None:
    """Why the submissions' workers could not be confined here, as ``lstm-lab grade`` words
    it (each grade refuses too: this says so once, before anything starts)."""
    from ..grading import settings
    from ..grading.commands import policy

    chosen = settings.current()
    hidden = tests / "hidden" if (tests / "hidden").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="lstm_lab_class_probe_") as probe:
        flags = argparse.Namespace(no_sandbox=False, unconfined=False)
        _, refused = policy(flags, chosen, Path(probe), hidden)
    return refused


def grade_command(args: argparse.Namespace) -> int:
    from ..grading.suite import find_suite
    from ..target import TargetError
    from . import batch, gradebook
    from .sources import find_submissions

    try:
        tests = find_suite(args.tests)
    except TargetError as exc:
        print(f"lstm-lab class grade: --tests: {exc}", file=sys.stderr)
        return 2
    refused = refusal(tests)
    if refused:
        print(f"lstm-lab class grade: {refused}", file=sys.stderr)
        return 2
    engine = gradebook.connect(args.db)
    options = batch.Options(
        exercises=sorted(set(args.exercise)),
        late_policy=args.late_policy,
        due=args.due,
        hidden_visibility=args.hidden_visibility,
        time_limit=args.time_limit,
    )
    with tempfile.TemporaryDirectory(prefix="lstm_lab_sources_") as scratch:
        found, notices = find_submissions(args.sources, Path(scratch))
        counts = _grade_found(args, engine, tests, options, found, notices)
    done = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    print(f"done: {done or 'nothing to grade'} (lstm-lab class status --db {args.db})")
    return 0


def _grade_found(args, engine, tests: Path, options, found, notices) -> dict:
    """Record the batch and what was found, grade what needs it; the counts by status."""
    from sqlalchemy.orm import Session

    from . import batch, progress

    jobs, why = batch.choose_jobs(args.jobs, options.exercises)
    timeout = args.grade_timeout or ((args.time_limit + 300) if args.time_limit else None)
    with Session(engine, expire_on_commit=False) as session:
        chosen = batch.start_batch(
            session, batch.suite_version(tests), options, args.regrade, jobs, args.sources
        )
        batch.record_notices(session, chosen, notices)
        pairs = batch.ingest(session, found, chosen, options)
        todo = batch.plan_jobs(session, pairs, chosen)
        for notice in notices:
            print(f"{notice.source}: {notice.message}", flush=True)
        print(f"{len(pairs)} submissions, {len(todo)} to grade, {why}", flush=True)
        shown = progress.choose()
        shown.start(len(todo), len(pairs) - len(todo))
        coordinator = batch.Coordinator(
            session,
            chosen,
            options,
            batch.grade_args(options, args.tests and tests),
            jobs,
            timeout or batch.DEFAULT_GRADE_TIMEOUT,
            shown,
        )
        try:
            counts = coordinator.run(todo)
        finally:
            shown.close()
        batch.end_batch(session, chosen)
    return counts


# -- status, export, report ------------------------------------------------------------------------
def status_command(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from . import gradebook, status

    engine = gradebook.connect(args.db)
    with Session(engine) as session:
        print(status.describe(session))
    return 0


def export_command(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from . import export, gradebook

    engine = gradebook.connect(args.db)
    with Session(engine) as session:
        out = export.write(session, args.format, Path(args.out), assignment=args.assignment)
    print(f"wrote {out}")
    return 0


def report_command(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from . import gradebook, report

    engine = gradebook.connect(args.db)
    with Session(engine) as session:
        index = report.write(session, Path(args.out))
    print(f"report: {index}")
    return 0
