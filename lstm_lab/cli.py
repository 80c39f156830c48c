"""The ``lstm-lab`` command line.

Each command's work lives in its own module, imported only when that command runs, so that
``lstm-lab --help`` (and anything that does not train) never pays for importing TensorFlow.

    lstm-lab run         the whole lab against a target, with a report   (lstm_lab.lab.run_lab)
    lstm-lab grade       grade a target, write results.json    (lstm_lab.grading.commands)
    lstm-lab release     write the student bundle              (lstm_lab.grading.commands)
    lstm-lab gradescope  write a Gradescope autograder zip     (lstm_lab.grading.commands)
    lstm-lab stubs       regenerate exercises/ from solutions/            (lstm_lab.stubs)
    lstm-lab class       a class: grade, status, export, report       (lstm_lab.classroom)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

#: command -> (module, function, one-line help). Each module defines ``add_arguments(parser)``
#: as ``add_<command>_arguments`` and the function takes the parsed namespace, returning an
#: exit code.
COMMANDS = {
    "run": ("lstm_lab.cli", "run_command", "run the whole lab against a target and report"),
    "grade": ("lstm_lab.grading.commands", "grade_command", "grade a target directory"),
    "release": ("lstm_lab.grading.commands", "release_command", "write the student bundle"),
    "gradescope": (
        "lstm_lab.grading.commands",
        "gradescope_command",
        "write a Gradescope autograder zip",
    ),
    "stubs": ("lstm_lab.cli", "stubs_command", "regenerate exercises/ from solutions/"),
    "class": (
        "lstm_lab.classroom.commands",
        "class_command",
        "grade a whole class into a gradebook; its status, export and reports",
    ),
}


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    from .lab import DEFAULT_OUT
    from .target import project_root

    # The repository runs its reference; the student bundle has no solutions/, so there the
    # lab runs the student's own exercises/.
    default = "solutions" if (project_root() / "solutions").is_dir() else "exercises"
    parser.add_argument(
        "--target",
        default=default,
        help="solutions, exercises, or the path of a directory of exercise modules "
        f"(default: {default})",
    )
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"where to write the report (default: {DEFAULT_OUT}/)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seeds the data and the training (default: 0)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a fast look: every approach capped at a few epochs (about 30 s)",
    )


def run_command(args: argparse.Namespace) -> int:
    """``lstm-lab run``: run the lab, print the table, write the report. Returns the exit code.

    The library returns data (``lab.run_lab``, ``report.write_report``); this speaks."""
    from . import report
    from .lab import run_lab
    from .target import TargetError, resolve

    try:
        target = resolve(args.target)
    except TargetError as error:
        print(f"lstm-lab run: {error}", file=sys.stderr)
        return 2

    def progress(line: str) -> None:
        print(line, flush=True)

    results = run_lab(target, seed=args.seed, quick=args.quick, progress=progress)
    print()
    print(report.format_table(results))
    paths = report.write_report(results, Path(args.out))
    print()
    print(f"report: {paths['index']}  (results: {paths['results']})")
    return 0


def add_stubs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--solutions", default="solutions", help="the reference answers")
    parser.add_argument("--out", default="exercises", help="where to write the stubs")


def stubs_command(args: argparse.Namespace) -> int:
    from .stubs import make_stubs
    from .target import resolve

    for path in make_stubs(resolve(args.solutions), Path(args.out)):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lstm-lab",
        description="A teaching and autograding harness for LSTMs in Keras 3.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, _, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        adder = getattr(importlib.import_module(module), f"add_{name}_arguments", None)
        if adder is not None:
            adder(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, function, _ = COMMANDS[args.command]
    return int(getattr(importlib.import_module(module), function)(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
