"""``lstm-lab class export``: the gradebook as a CSV, or as a file Canvas's gradebook imports.

- ``csv``: one row per student (their current submission and its last final run): ``student``,
  ``submission``, ``score`` (final, after the late policy), ``max_score``, one column per exercise
  module (its raw points; empty when the run did not grade it), ``late``, ``status``.
- ``canvas``: Canvas's own gradebook layout (Gradebook > Import): ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then the assignment's column (``--assignment``,
  named as Canvas's export names it, ``Name (id)``), a ``Points Possible`` row first. ``ID`` is
  Canvas's user id where the submission came from a Canvas export; Canvas matches rows by it
  (else by SIS id or login: the student key stands there).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from ..target import MODULES
from . import gradebook as gb

CSV_COLUMNS = ["student", "submission", "score", "max_score", *MODULES, "late", "status"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def rows(session: Session) -> list[dict]:
    """The CSV's rows, one per student, in the order of their keys."""
    out = []
    for sub in gb.current_submissions(session):
        run = gb.last_final(sub)
        row = {
            "student": sub.student.key,
            "submission": sub.label,
            "score": None,
            "max_score": None,
            **dict.fromkeys(MODULES),
            "late": sub.late,
            "status": "not graded",
        }
        if run is not None:
            row["status"] = run.status if run.status == "graded" else f"{run.status}: {run.reason}"
            row["score"], row["max_score"] = run.score, run.max_score
            for module in MODULES:
                results = [r for r in run.results if r.module == module]
                if results:
                    row[module] = round(sum(r.score for r in results), 2)
        out.append(row)
    return out


def write(session: Session, kind: str, out: Path, assignment: str = "lstm_lab") -> Path:
    frame = pd.DataFrame(rows(session), columns=CSV_COLUMNS)
    out.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        frame["late"] = frame["late"].map({True: "yes", False: "no"})
        frame.to_csv(out, index=False)
        return out
    if kind != "canvas":
        raise ValueError(f"--format must be csv or canvas, got {kind!r}")
    _canvas(session, frame, assignment).to_csv(out, index=False)
    return out


def _canvas(session: Session, frame: pd.DataFrame, assignment: str) -> pd.DataFrame:
    students = {s.student.key: s.student for s in gb.current_submissions(session)}
    top = frame["max_score"].dropna().max() if frame["max_score"].notna().any() else ""
    records = [
        {
            "Student": "    Points Possible",
            "ID": "",
            "SIS User ID": "",
            "SIS Login ID": "",
            "Section": "",
            assignment: top,
        }
    ]
    for _, row in frame.iterrows():
        student = students[row["student"]]
        score = row["score"] if pd.notna(row["score"]) else ""
        records.append(
            {
                "Student": student.name,
                "ID": student.lms_id or "",
                "SIS User ID": "" if student.lms_id else student.key,
                "SIS Login ID": student.key,
                "Section": "",
                assignment: score,
            }
        )
    return pd.DataFrame(records, columns=[*CANVAS_COLUMNS, assignment])
