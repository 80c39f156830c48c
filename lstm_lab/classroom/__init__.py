"""Grading a whole class: ``lstm-lab class grade|status|export|report``.

| module | owns |
|---|---|
| `sources` | LMS downloads: folders, zips, Canvas, Gradescope, GitHub Classroom |
| `gradebook` | the SQLAlchemy models (students, submissions, append-only runs, results) |
| `batch` | the batch: options, suite version, late policy, what to grade, the coordinator |
| `runner` | one confined `lstm-lab grade` subprocess per submission and what its end means |
| `progress` | a rich bar on a terminal, plain lines otherwise |
| `status` | what is graded, running, failed and left |
| `export` | the CSV and Canvas files |
| `report` | a feedback page per student and the instructor's dashboard |
| `commands` | the `lstm-lab class` command line |

Student code never runs in this package's process: each submission is graded by its own
`lstm-lab grade` subprocess, which confines its workers (`lstm_lab.grading`).
"""
