"""Grading a class: each submission by its own ``lstm-lab grade``, N at a time.

The coordinator (this process) reads the sources, writes the gradebook (it alone does), stages
each submission in a private folder of its own and starts one ``lstm-lab grade`` subprocess per
submission, which confines that submission's workers as any grade does (and refuses where it
cannot: so does ``class grade``, before it starts). The grade writes its ``results.json`` into a
folder of the coordinator's that the workers cannot reach; the coordinator reads that file, never
the grade's output, so nothing a submission prints can pass for a result.

How a grade ends, and what the gradebook records:

- exit 0 or 1 with a results.json: ``graded`` (raw score; the final one after the late policy);
- any other exit: ``failed``, with the last line the grade wrote as the reason (not retried: a
  submission that crashes, loops or runs out of memory costs its own grade only; those inside the
  workers are the grade's own business and come back as failed tests);
- past its time (``--grade-timeout``): killed, ``timeout`` (not retried);
- killed by a signal it was not sent by us: ``infrastructure``, graded again once.

``kill -9`` of the coordinator leaves runs ``running``; the next batch marks them ``interrupted``
and grades what has no final run of the same content, suite version and options (``key``).
Grade subprocesses die with the coordinator (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import socket
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..target import MODULES
from . import gradebook as gb
from .sources import Found, parse_time, utcnow

#: One grade's peak memory, its whole tree, for choosing how many run at once: all five
#: exercises, 948 MB at the cgroup's peak on 2 cores with ex05 trained ahead (benchmarks/README.md,
#: grade.py, ``grade-2``); ex02 and ex03 alone (NumPy, no TensorFlow), 264 MB for the tree of a
#: batch grading one at a time (benchmarks/class.py, ``jobs-1``, the coordinator included).
GRADE_PEAK_MB = 1000
CHEAP_GRADE_PEAK_MB = 300
CHEAP = ("ex02_windows", "ex03_labels")
#: A grade that runs longer than this (seconds) is killed, unless --grade-timeout says.
DEFAULT_GRADE_TIMEOUT = 1800
#: The coordinator's folder for the staged submissions and the grades' results (mode 700).
SCRATCH_PREFIX = "lstm_lab_class_"
#: What the path of a grade's staged copy reads as in the gradebook.
STAGED_AS = "<submission>"
LATE_POLICY = re.compile(r"^(none|zero|percent-per-day:(\d+(?:\.\d+)?))$")


# -- what a batch is asked -------------------------------------------------------------------------
@dataclass
class Options:
    """What decides a grade besides the submission and the suite (the run's ``key``)."""

    exercises: list[str] = field(default_factory=list)
    late_policy: str = "none"
    due: str | None = None
    hidden_visibility: str | None = None
    time_limit: float | None = None

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def due_at(self) -> datetime | None:
        return parse_time(self.due) if self.due else None


def check_late_policy(text: str) -> str:
    if not LATE_POLICY.match(text):
        raise ValueError(
            f"--late-policy must be none, zero or percent-per-day:N (N a number), got {text!r}"
        )
    return text


def check_due(text: str) -> str:
    try:
        parse_time(text)
    except ValueError:
        raise ValueError(
            f"--due must be an ISO-8601 date and time such as 2026-12-01T23:59:00+00:00, "
            f"got {text!r}"
        ) from None
    return text


def final_score(raw: float, late: bool, days_late: int, policy: str) -> float:
    """The score after the late policy (``raw`` is kept beside it)."""
    if not late or policy == "none":
        return raw
    if policy == "zero":
        return 0.0
    percent = float(policy.split(":", 1)[1])
    return round(raw * max(0.0, 1 - percent / 100 * max(days_late, 1)), 2)


def suite_version(tests: Path) -> str:
    """A hash of what a grade collects from the suite: its conftest, rubric and hidden tests
    (the points are in them)."""
    digest = hashlib.sha256()
    files = [tests / "conftest.py"] if (tests / "conftest.py").is_file() else []
    for folder in ("rubric", "hidden"):
        files += sorted((tests / folder).rglob("*.py")) if (tests / folder).is_dir() else []
    for path in files:
        digest.update(path.relative_to(tests).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def choose_jobs(given: int | None, exercises=()) -> tuple[int, str]:
    """How many grades at a time, and why: ``--jobs``, else the CPUs this process may use
    (affinity and cgroup quota) and the memory free, at a grade's peak (``GRADE_PEAK_MB``, or
    ``CHEAP_GRADE_PEAK_MB`` when only ex02 and ex03 are graded)."""
    if given is not None:
        return given, f"{given} at a time (--jobs)"
    from ..grading import host

    peak = CHEAP_GRADE_PEAK_MB if exercises and set(exercises) <= set(CHEAP) else GRADE_PEAK_MB
    cpus = max(1, int(host.cpu_limit()))
    room = host.memory_room_mb()
    by_memory = max(1, int(room // peak)) if math.isfinite(room) else cpus
    jobs = max(1, min(cpus, by_memory))
    return jobs, f"{jobs} at a time ({cpus} CPUs; {room:.0f} MB free at {peak} MB a grade)"


# -- the gradebook's side --------------------------------------------------------------------------
def start_batch(
    session: Session, suite: str, options: Options, regrade: bool, jobs: int, sources
) -> gb.Batch:
    """A new batch; runs left ``running`` by a coordinator that died become ``interrupted``."""
    now = utcnow()
    for run in session.scalars(select(gb.Run).where(gb.Run.status == "running")):
        run.status, run.ended = "interrupted", now
        run.reason = "the batch grading it stopped before the grade ended"
    batch = gb.Batch(
        started=now,
        pid=os.getpid(),
        host=socket.gethostname(),
        suite_version=suite,
        key=options.key(),
        regrade=regrade,
        jobs=jobs,
        sources=json.dumps([str(s) for s in sources]),
    )
    session.add(batch)
    session.commit()
    return batch


def regrade_since(session: Session, batch: gb.Batch) -> datetime | None:
    """With ``--regrade``: runs that ended since this moment count as done (the start of the
    earliest unfinished regrade of the same sources and options, so a resumed regrade does not
    begin again)."""
    if not batch.regrade:
        return None
    since = batch.started
    earlier = session.scalars(
        select(gb.Batch).where(gb.Batch.id < batch.id).order_by(gb.Batch.id.desc())
    )
    for other in earlier:
        same = (other.key, other.sources, other.regrade) == (batch.key, batch.sources, True)
        if not same or other.ended is not None:
            break
        since = other.started
    return since


def ingest(session: Session, found: list[Found], batch: gb.Batch, options: Options):
    """Students and submissions for what was found; ``[(submission, found)]``."""
    due = options.due_at()
    pairs = []
    for one in found:
        student = session.scalars(select(gb.Student).where(gb.Student.key == one.student)).first()
        if student is None:
            student = gb.Student(key=one.student, name=one.name, lms_id=one.lms_id)
            session.add(student)
            session.flush()
        sub = session.scalars(
            select(gb.Submission).where(
                gb.Submission.student_id == student.id,
                gb.Submission.content_hash == one.content_hash,
            )
        ).first()
        if sub is None:
            sub = gb.Submission(student=student, content_hash=one.content_hash, first_seen=utcnow())
            session.add(sub)
        late, days = lateness(one, due)
        sub.label, sub.source, sub.submitted_at = one.label, one.source, one.submitted_at
        sub.late, sub.days_late, sub.problems = late, days, json.dumps(one.problems)
        sub.batch_id = batch.id
        pairs.append((sub, one))
    session.commit()
    return pairs


def lateness(one: Found, due: datetime | None) -> tuple[bool, int]:
    """Late, and by how many started days: the submission time against ``--due``, else the
    export's own mark (Canvas's LATE: one day, its time being unknown)."""
    if due is not None and one.submitted_at is not None:
        late = one.submitted_at > due
        days = math.ceil((one.submitted_at - due).total_seconds() / 86400) if late else 0
        return late, days
    return bool(one.late), 1 if one.late else 0


def needs_grade(sub: gb.Submission, batch: gb.Batch, since: datetime | None) -> bool:
    done = gb.final_runs(sub, batch.key, batch.suite_version)
    if since is not None:
        done = [run for run in done if run.ended is not None and run.ended >= since]
    return not done


def next_attempt(sub: gb.Submission, batch: gb.Batch) -> int:
    faults = [
        r
        for r in sub.runs
        if r.key == batch.key
        and r.suite_version == batch.suite_version
        and r.status == "infrastructure"
    ]
    return 1 + len(faults) % 2


# -- grading ---------------------------------------------------------------------------------------
@dataclass
class Job:
    submission_id: int
    student: str
    found: Found
    attempt: int = 1


def grade_args(options: Options, tests: Path | None) -> list[str]:
    """The flags of each submission's ``lstm-lab grade`` (what ``class grade`` passes on)."""
    args = []
    for module in options.exercises:
        args += ["--exercise", module]
    if tests is not None:
        args += ["--tests", str(tests)]
    if options.hidden_visibility:
        args += ["--hidden-visibility", options.hidden_visibility]
    if options.time_limit:
        args += ["--time-limit", f"{options.time_limit:g}"]
    return args


class Coordinator:
    """Runs the jobs ``jobs`` at a time and writes every start and end to the gradebook."""

    def __init__(
        self,
        session: Session,
        batch: gb.Batch,
        options: Options,
        args: list[str],
        jobs: int,
        timeout: float,
        progress,
    ):
        self.session, self.batch, self.options = session, batch, options
        self.args, self.jobs, self.timeout, self.progress = args, jobs, timeout, progress
        _remove_stale_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}_"))
        os.chmod(self.scratch, 0o700)
        self.counts = {"graded": 0, "failed": 0, "timeout": 0, "infrastructure": 0}

    def run(self, jobs: list[Job]) -> dict:
        from .runner import adopt_orphans, sweep

        waiting, running = list(jobs), {}
        adopt_orphans()
        try:
            while waiting or running:
                while waiting and len(running) < self.jobs:
                    job = waiting.pop(0)
                    running[job.submission_id] = (job, *self._start(job))
                ended = [key for key, (_, _, grade) in running.items() if grade.poll()]
                if not ended:
                    time.sleep(0.1)
                for key in ended:
                    job, run, grade = running.pop(key)
                    retry = self._finish(job, run, grade)
                    if retry is not None:
                        waiting.insert(0, retry)
                if ended:
                    sweep(grade.pid for _, _, grade in running.values())
        finally:
            for _, _, grade in running.values():
                grade.kill()
            sweep(())
            _remove(self.scratch)
        return self.counts

    def _start(self, job: Job):
        from .runner import GradeProcess

        home = self.scratch / f"{job.submission_id}-{job.attempt}"
        home.mkdir(mode=0o700)
        staged = job.found.stage(home / "submission")
        grade = GradeProcess(staged, home, self.args, self.timeout)
        run = gb.Run(
            submission_id=job.submission_id,
            batch_id=self.batch.id,
            suite_version=self.batch.suite_version,
            key=self.batch.key,
            attempt=job.attempt,
            pid=grade.pid,
            started=utcnow(),
            status="running",
        )
        self.session.add(run)
        self.session.commit()
        return run, grade

    def _finish(self, job: Job, run: gb.Run, grade) -> Job | None:
        outcome = grade.outcome()
        run.ended, run.status, run.reason = utcnow(), outcome.status, outcome.reason
        if outcome.results is not None:
            self._record_results(run, outcome.results, str(grade.staged))
        retry = None
        if outcome.status == "infrastructure" and job.attempt == 1:
            run.reason += "; graded again"
            retry = Job(job.submission_id, job.student, job.found, attempt=2)
        self.session.commit()
        _remove(grade.home)
        self.counts[outcome.status] = self.counts.get(outcome.status, 0) + 1
        self.progress.advance(job.student, run, retried=retry is not None)
        return retry

    def _record_results(self, run: gb.Run, results: dict, staged: str) -> None:
        """The run's scores and tests; the staged folder's path, which differs from one grade
        to the next, reads ``<submission>`` (the same submission, the same messages)."""

        def clean(text) -> str:
            return str(text).replace(staged, STAGED_AS)

        sub = self.session.get(gb.Submission, run.submission_id)
        run.raw_score, run.max_score = float(results["score"]), float(results["max_score"])
        run.score = final_score(run.raw_score, sub.late, sub.days_late, self.options.late_policy)
        run.output = clean(results.get("output", ""))
        for position, test in enumerate(results["tests"]):
            tags = test.get("tags") or []
            name = str(test.get("name", ""))
            module = next((t for t in tags if t in MODULES), name.split(":")[0])
            self.session.add(
                gb.Result(
                    run=run,
                    position=position,
                    name=str(test.get("name", "")),
                    module=module,
                    score=float(test.get("score", 0)),
                    max_score=float(test.get("max_score", 0)),
                    status=str(test.get("status", "")),
                    output=clean(test.get("output", "")),
                    visibility=str(test.get("visibility", "visible")),
                    hidden="hidden" in tags,
                )
            )


def _remove_stale_scratch() -> None:
    """Remove the folders of coordinators that died without removing them (``kill -9``)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*_*"):
        pid = folder.name[len(SCRATCH_PREFIX) :].split("_", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            _remove(folder)
        except PermissionError:
            pass


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def plan_jobs(session: Session, pairs, batch: gb.Batch) -> list[Job]:
    """What this batch grades: the submissions with no final run of its key (since the regrade
    began, with ``--regrade``), in the order of their students."""
    since = regrade_since(session, batch)
    jobs = [
        Job(sub.id, sub.student.key, one, attempt=next_attempt(sub, batch))
        for sub, one in pairs
        if needs_grade(sub, batch, since)
    ]
    return sorted(jobs, key=lambda job: job.student)


def end_batch(session: Session, batch: gb.Batch) -> None:
    batch.ended = utcnow()
    session.commit()


def record_notices(session: Session, batch: gb.Batch, notices) -> None:
    for notice in dict.fromkeys(notices):  # a SOURCE given twice says it once
        session.add(gb.Notice(batch_id=batch.id, source=notice.source, message=notice.message))
    session.commit()
