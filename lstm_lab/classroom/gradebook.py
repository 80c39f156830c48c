"""The gradebook: SQLAlchemy 2 models of a class's grading, in SQLite or PostgreSQL.

    Student ──< Submission ──< Run ──< Result
                                │
    Batch (one ``class grade``) ┘         Notice (a source that could not be read)

- ``Student``: one per student key (the folder name, Canvas's login name, Gradescope's SID).
- ``Submission``: one per student and content (the SHA-256 of its files); when it was submitted,
  whether it is late and by how many days, what was wrong with it (``problems``).
- ``Run``: **append-only**: one row per grade of a submission, never deleted or overwritten once
  it ended: the suite version (a hash of the graded tests, their points included), the
  options (``key``: exercises, late policy, due date), its attempt, start and end, status, the
  raw and the final score. Statuses: ``running``; then ``graded`` (results.json read),
  ``failed`` (the grade made no results: the reason is kept), ``timeout`` (the grade ran past
  its time and was killed), ``infrastructure`` (the grade process was killed from outside;
  retried once) or
  ``interrupted`` (its coordinator died: the next batch grades it again).
- ``Result``: one row per test of a graded run, as results.json has it.

Only the coordinating process (``lstm-lab class grade``) writes it. ``connect(url)`` makes the
engine: ``postgresql://`` URLs use psycopg 3 (``postgresql+psycopg://``).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

DEFAULT_URL = "sqlite:///gradebook.db"
#: The statuses after which a run is final: the next batch does not grade that key again.
FINAL = ("graded", "failed", "timeout", "infrastructure")


class GradebookError(ValueError):
    """A ``--db`` URL that names no usable database."""


class Base(DeclarativeBase):
    pass


class Student(Base):
    __tablename__ = "students"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lms_id: Mapped[str | None] = mapped_column(String(100))
    submissions: Mapped[list[Submission]] = relationship(back_populates="student")


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("student_id", "content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    days_late: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[str] = mapped_column(Text, default="[]")
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    #: The last batch that found this submission (a student's current one is the latest).
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    student: Mapped[Student] = relationship(back_populates="submissions")
    runs: Mapped[list[Run]] = relationship(back_populates="submission", order_by="Run.id")

    @property
    def problem_list(self) -> list[str]:
        return json.loads(self.problems or "[]")


class Batch(Base):
    __tablename__ = "batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    started: Mapped[datetime] = mapped_column(DateTime)
    ended: Mapped[datetime | None] = mapped_column(DateTime)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    suite_version: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(Text)
    regrade: Mapped[bool] = mapped_column(Boolean, default=False)
    jobs: Mapped[int] = mapped_column(Integer)
    sources: Mapped[str] = mapped_column(Text)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    suite_version: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(Text)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    pid: Mapped[int | None] = mapped_column(Integer)
    started: Mapped[datetime] = mapped_column(DateTime)
    ended: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    reason: Mapped[str] = mapped_column(Text, default="")
    raw_score: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    output: Mapped[str] = mapped_column(Text, default="")
    submission: Mapped[Submission] = relationship(back_populates="runs")
    results: Mapped[list[Result]] = relationship(back_populates="run", order_by="Result.position")

    @property
    def seconds(self) -> float | None:
        if self.ended is None:
            return None
        return (self.ended - self.started).total_seconds()


class Result(Base):
    __tablename__ = "results"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    module: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    output: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(30))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    run: Mapped[Run] = relationship(back_populates="results")


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("batch_id", "source", "message"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    source: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)


# -- the database ------------------------------------------------------------------------------
def connect(url: str = DEFAULT_URL) -> Engine:
    """The engine of ``url``, its tables made; ``GradebookError`` when it cannot be used."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise GradebookError(
            f"--db must be a SQLAlchemy URL such as {DEFAULT_URL} or "
            f"postgresql://user@host/db, got {url!r}"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        engine = create_engine(parsed)
        Base.metadata.create_all(engine)
    except Exception as exc:  # noqa: BLE001 - any driver's failure is the same answer
        raise GradebookError(f"--db {url}: cannot open the gradebook ({exc})") from None
    return engine


# -- what it says ------------------------------------------------------------------------------
def latest_batch(session: Session) -> Batch | None:
    return session.scalars(select(Batch).order_by(Batch.id.desc()).limit(1)).first()


def current_submissions(session: Session) -> list[Submission]:
    """Each student's current submission: the latest seen by the latest batch that saw one."""
    chosen: dict[int, Submission] = {}
    for sub in session.scalars(select(Submission).order_by(Submission.id)):
        best = chosen.get(sub.student_id)
        if best is None or (sub.batch_id or 0, sub.id) >= (best.batch_id or 0, best.id):
            chosen[sub.student_id] = sub
    return sorted(chosen.values(), key=lambda s: s.student.key)


def is_final(run: Run) -> bool:
    """Whether the next batch leaves the run's key alone: it ended with a verdict, or it was
    killed from outside a second time."""
    return run.status in FINAL and (run.status != "infrastructure" or run.attempt >= 2)


def final_runs(submission: Submission, key: str | None = None, suite: str | None = None):
    """The submission's final runs (of ``key`` and ``suite`` when given), oldest first."""
    return [
        run
        for run in submission.runs
        if is_final(run)
        and (key is None or run.key == key)
        and (suite is None or run.suite_version == suite)
    ]


def last_final(submission: Submission) -> Run | None:
    runs = final_runs(submission)
    return runs[-1] if runs else None


def snapshot(session: Session) -> list[dict]:
    """The gradebook's content without what differs between two gradings of the same class
    (times, ids, process ids): what a resumed batch must share with an uninterrupted one."""
    rows = []
    for sub in current_submissions(session):
        run = last_final(sub)
        rows.append(
            {
                "student": sub.student.key,
                "content_hash": sub.content_hash,
                "late": sub.late,
                "days_late": sub.days_late,
                "problems": sub.problem_list,
                "final_runs": len(final_runs(sub)),
                "run": None
                if run is None
                else {
                    "suite": run.suite_version,
                    "key": run.key,
                    "status": run.status,
                    "reason": run.reason,
                    "raw_score": run.raw_score,
                    "score": run.score,
                    "max_score": run.max_score,
                    "results": [
                        (r.name, r.score, r.max_score, r.status, r.output, r.visibility)
                        for r in run.results
                    ],
                },
            }
        )
    return rows
