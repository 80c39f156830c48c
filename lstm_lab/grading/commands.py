"""``lstm-lab grade``, ``lstm-lab release`` and ``lstm-lab gradescope``.

    lstm-lab grade TARGET [--exercise MODULE ...] [--results PATH] [--hidden-tests DIR]
    lstm-lab release OUT [--force] [--no-check]
    lstm-lab gradescope OUT.zip [--force] [--memory MB] [--time-limit S] ...

``grade`` runs the suite on TARGET in this process, which becomes the judge: it never imports
the target (workers do, see ``lstm_lab.grading``), prints a table per exercise and writes a
Gradescope ``results.json``. Its exit code is 0 for full marks, 1 when points were lost, 2 when
the grade could not be made.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..target import MODULES, TargetError, project_root, resolve
from . import budget, settings
from .suite import HIDDEN, PRIVATE, find_suite, graded_paths, with_hidden

#: Exercises whose reference needs NumPy only: grading just these, workers skip TensorFlow.
NUMPY_ONLY = ("ex02_windows", "ex03_labels")
NUMPY_PRELOAD = "numpy,pandas,sklearn.model_selection,lstm_lab.data"
#: The Gradescope zip's default time for the whole grade: inside Gradescope's default 10 minutes.
GRADESCOPE_TIME_LIMIT = 540
#: The Gradescope zip's default limit on one call: an endless loop costs 4 minutes once.
GRADESCOPE_CALL_TIMEOUT = 240
#: The Gradescope zip's default time per exercise (``budget.EXERCISE_TIME_LIMITS``).
EXERCISE_TIME_LIMITS = budget.EXERCISE_TIME_LIMITS


# -- grade -----------------------------------------------------------------------------------------
#: With less memory than this for the whole grade, workers are replaced sooner than the default
#: (``proxy.DEFAULT_RECYCLE_MB``): on 2 cores in 768 MB, the default let the tree's anonymous
#: memory reach 749 MB, which left TensorFlow's code pages no room: they were read from disk
#: again and again and the grade took 134 s; replaced after growing by 150 MB, it took 56 s with
#: a peak of 704 MB (benchmarks/README.md).
TIGHT_MEMORY_MB = 1024
TIGHT_RECYCLE_MB = 150


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        help="the directory of exercise modules to grade: exercises, solutions, or a path "
        "(a submission whose modules sit in one subfolder is graded there)",
    )
    parser.add_argument(
        "--no-results", action="store_true", help="do not write results.json, only the table"
    )
    parser.add_argument(
        "--hidden-tests",
        metavar="DIR",
        help="the hidden tests (default: tests/hidden when it exists; students have none)",
    )
    parser.add_argument(
        "--visible-only",
        action="store_true",
        help="leave the hidden tests out: the grade a student sees before submitting",
    )
    parser.add_argument("--tests", metavar="DIR", help="the suite (default: tests/ of lstm_lab)")
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the target's workers without confinement, privilege drop or limits",
    )
    parser.add_argument(
        "--unconfined",
        action="store_true",
        help="grade even where the workers cannot be confined (the submission could read the "
        "solutions and write anything you can): you accept that risk",
    )
    parser.add_argument("-k", dest="keyword", metavar="EXPR", help="only tests matching EXPR")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="pytest's own output, tracebacks included"
    )
    settings.add_cli_arguments(parser)
    for action in parser._actions:  # the flag's choices are the modules (help shows them)
        if action.dest == "exercise":
            action.choices = MODULES


def find_target(name) -> tuple[Path, str | None]:
    """The directory to grade, and a note when it is a subfolder of what was named."""
    path = resolve(name)
    if _count_modules(path):
        return path, None
    found = []
    for root, dirs, _ in os.walk(path):
        depth = len(Path(root).relative_to(path).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        if depth >= 3:
            dirs[:] = []
        if depth:
            count = _count_modules(Path(root))
            if count:
                found.append((-count, depth, root, Path(root)))
    if not found:
        return path, None
    best = sorted(found)[0][3]
    return best, f"the exercise modules were found in {best}, which is graded"


def _count_modules(folder: Path) -> int:
    return sum((folder / f"{m}.py").is_file() for m in MODULES)


def _plugin_is_registered() -> bool:
    from importlib.metadata import entry_points

    try:
        return any(e.value == "lstm_lab.grading.plugin" for e in entry_points(group="pytest11"))
    except Exception:  # noqa: BLE001 - broken metadata only means we load it ourselves
        return False


def recycle_for(given: int | None, room_mb: float) -> tuple[int | None, str | None]:
    """The ``--recycle`` a grade uses, and a note when it chose it for lack of memory."""
    if given is not None or room_mb >= TIGHT_MEMORY_MB:
        return given, None
    return TIGHT_RECYCLE_MB, (
        f"{room_mb:.0f} MB of memory for the whole grade: workers are replaced once they grew "
        f"by {TIGHT_RECYCLE_MB} MB (--recycle chooses)"
    )


def _hidden_tests(args, suite: Path, workdir: Path) -> tuple[Path, Path | None, str | None]:
    """``(suite, hidden tests or None, note)`` for this grade; ``TargetError`` if
    ``--hidden-tests`` names no folder."""
    if args.visible_only:
        return suite, None, "visible tests only (--visible-only)"
    hidden = None
    if args.hidden_tests:
        hidden = Path(args.hidden_tests).resolve()
        if not hidden.is_dir():
            raise TargetError(f"no hidden tests at {hidden}")
    elif (suite / HIDDEN).is_dir():
        hidden = suite / HIDDEN
    if hidden is None:
        return suite, None, "visible tests only: the grade after submission adds hidden tests"
    if hidden != suite / HIDDEN:
        suite = with_hidden(suite, hidden, workdir)
        hidden = suite / HIDDEN
    return suite, hidden, None


def _pytest_args(args, suite: Path, hidden: Path | None, target: Path) -> list[str]:
    """The pytest command line of a grade: what to collect, and how quietly."""
    pytest_args = [str(p) for p in graded_paths(suite, hidden)]
    pytest_args += ["--target", str(target), "--grade", "-p", "no:cacheprovider"]
    pytest_args += ["--continue-on-collection-errors", "-rN", "--disable-warnings"]
    if not _plugin_is_registered():
        pytest_args[1:1] = ["-p", "lstm_lab.grading.plugin"]
    if args.keyword:
        pytest_args += ["-k", args.keyword]
    pytest_args += ["-v", "--tb=short"] if args.verbose else ["-q", "--tb=no"]
    return pytest_args


def grade_command(args: argparse.Namespace) -> int:
    from . import host

    try:
        target, found_note = find_target(args.target)
        suite = find_suite(args.tests)
    except TargetError as exc:
        print(f"lstm-lab grade: {exc}", file=sys.stderr)
        return 2
    chosen = settings.current().replace(**settings.given(args))
    notes = [found_note] if found_note else []
    recycle, tight = recycle_for(chosen.recycle_mb, host.memory_room_mb())
    notes += [tight] if tight else []
    with tempfile.TemporaryDirectory(prefix="lstm_lab_grade_") as workdir:
        try:
            suite, hidden, note = _hidden_tests(args, suite, Path(workdir))
        except TargetError as exc:
            print(f"lstm-lab grade: {exc}", file=sys.stderr)
            return 2
        notes += [note] if note else []
        chosen = chosen.replace(
            recycle_mb=recycle,
            title=chosen.title or f"lstm-lab grade {target}",
            results=None
            if args.no_results
            else str(Path(chosen.results or "results.json").resolve()),
            notes=[*chosen.notes, *notes],
        )
        if chosen.exercise and set(chosen.exercise) <= set(NUMPY_ONLY) and not chosen.preload:
            chosen = chosen.replace(preload=NUMPY_PRELOAD)  # no TensorFlow to import
        cage, refusal = policy(args, chosen, target, hidden)
        if refusal:
            print(f"lstm-lab grade: {refusal}", file=sys.stderr)
            return 2
        return _judge(_pytest_args(args, suite, hidden, target), cage, chosen, suite, hidden)


def policy(args, chosen, target: Path, hidden) -> tuple:
    """``(the sandbox policy, a refusal or None)`` (``lstm-lab class grade`` asks it too, so that
    it refuses in the same words): a grade that has something to protect (the
    solutions, hidden tests) confines an untrusted target's workers, or refuses."""
    from . import sandbox

    if args.no_sandbox:
        return sandbox.Policy(), None
    secrets = hidden is not None or (project_root() / "solutions").is_dir()
    wanted = chosen.confine == "on" or (chosen.confine == "auto" and secrets)
    if args.unconfined:
        wanted = False
    policy = sandbox.Policy.detect(memory_mb=chosen.memory_mb or None, confine=wanted)
    # Landlock, or at least another user whose reach the folders closed to it bound (a
    # Gradescope-like image on a kernel without Landlock): else nothing holds the code in.
    if not wanted or policy.confined or policy.drops or sandbox.is_trusted(target):
        if not wanted and not secrets:
            policy.notes.append(
                "not confined: a grade of your own copy, with no solutions or hidden tests "
                "to protect (--confine on confines it)"
            )
        return policy, None
    return policy, (
        f"refusing to grade {target}: its code cannot be confined on this machine "
        f"({policy.unconfined_reason}), so it could read the solutions and hidden tests and "
        "write anything this user can. Grade on a Linux kernel with Landlock (5.13 or later, "
        "enabled in the lsm= boot list), or pass --unconfined to accept that risk."
    )


class _Totals:
    """Catches the grade's totals at the end of the session."""

    def __init__(self):
        self.score = self.top = None
        self.checks = 0

    def pytest_unconfigure(self, config):
        from .plugin import grade_of

        grade = grade_of(config)
        if grade is not None:
            self.score, self.top = grade.totals()
            self.checks = len(grade.checks)


def _judge(pytest_args, policy, chosen, suite: Path, hidden) -> int:
    import pytest

    from . import sandbox

    changed = []
    try:
        # Confined workers cannot see the checkout (Landlock, and private mounts as root); only
        # a worker that drops to another user without confinement needs the folders closed.
        if policy.drops and not policy.confined:
            root = project_root()
            private = [root / "solutions", root / ".git"]
            private += [suite / name for name in PRIVATE]
            private += [hidden] if hidden is not None else []
            private += [suite.parent / "solutions"]
            changed = sandbox.protect(dict.fromkeys(p for p in private if p.exists()))
            policy.protected = [path for path, _ in changed]
        totals = _Totals()
        with settings.applied(chosen.replace(sandbox=policy.to_dict())):
            code = pytest.main(pytest_args, plugins=[totals])
    finally:
        sandbox.unprotect(changed)
    if totals.score is None or not totals.checks:
        print(f"lstm-lab grade: no grade was made (pytest exit code {int(code)})", file=sys.stderr)
        return 2
    return 0 if totals.score == totals.top else 1


# -- release ---------------------------------------------------------------------------------------
def add_release_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="the folder to write the student bundle to")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument(
        "--no-check",
        action="store_true",
        help="do not grade the bundle's stubs from inside it afterwards",
    )


def release_command(args: argparse.Namespace) -> int:
    from .bundle import BundleError, check_bundle, release

    try:
        written = release(args.out, force=args.force)
    except BundleError as exc:
        print(f"lstm-lab release: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    print(f"wrote the student bundle to {out}:")
    for path in written:
        print(f"  {path.name}{'/' if path.is_dir() else ''}")
    if args.no_check:
        return 0
    print("checking that the visible tests run in the bundle (grading its stubs) ...")
    code, output = check_bundle(out)
    lines = [line for line in output.splitlines() if line.strip()]
    total = next((line for line in reversed(lines) if line.startswith("Total")), None)
    if code == 1 and total is not None:
        score = " ".join(total.split()[-4:])
        print(f"  ok: the visible tests ran in the bundle; its stubs scored {score}")
        return 0
    print(f"  the bundle's grade failed (exit code {code}):")
    print("\n".join("    " + line for line in lines[-30:]))
    return 1


# -- gradescope ------------------------------------------------------------------------------------
def add_gradescope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="the zip to write, e.g. autograder.zip")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    parser.add_argument(
        "--memory",
        type=int,
        default=512,
        metavar="MB",
        help="memory each worker of a submission may use (default 512)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=GRADESCOPE_TIME_LIMIT,
        metavar="SECONDS",
        help=f"the grade's time (default {GRADESCOPE_TIME_LIMIT}: inside Gradescope's default "
        "10 minutes)",
    )
    parser.add_argument(
        "--exercise-time-limit",
        action="append",
        metavar="[MODULE=]SECONDS",
        help="what one exercise's calls may take in all (default: "
        + ", ".join(f"{m}={s:g}" for m, s in EXERCISE_TIME_LIMITS.items())
        + "; at least 4x the reference's time at half a CPU, benchmarks/grade.py --gradescope)",
    )
    parser.add_argument(
        "--call-timeout",
        type=float,
        default=GRADESCOPE_CALL_TIMEOUT,
        metavar="SECONDS",
        help=f"at most this long for one call (default {GRADESCOPE_CALL_TIMEOUT}: an endless "
        "loop costs 4 minutes once)",
    )
    parser.add_argument(
        "--recycle",
        type=int,
        default=150,
        metavar="MB",
        help="replace a worker once it grew by MB (default 150: the reference then fits 768 MB)",
    )
    parser.add_argument("--hidden-visibility", choices=settings.VISIBILITIES)
    parser.add_argument("--title", default="lstm_lab autograder")


def gradescope_command(args: argparse.Namespace) -> int:
    from .bundle import BundleError, gradescope_zip

    try:
        out = gradescope_zip(
            args.out,
            force=args.force,
            memory_mb=args.memory,
            time_limit=args.time_limit,
            exercise_time_limit=args.exercise_time_limit
            or [f"{m}={s:g}" for m, s in EXERCISE_TIME_LIMITS.items()],
            call_timeout=args.call_timeout,
            recycle_mb=args.recycle,
            hidden_visibility=args.hidden_visibility,
            title=args.title,
        )
    except BundleError as exc:
        print(f"lstm-lab gradescope: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the Gradescope autograder to {out}")
    print("  upload it under Configure Autograder (Ubuntu base image); it runs")
    print("  `lstm-lab grade /autograder/submission` and writes /autograder/results/results.json")
    return 0
