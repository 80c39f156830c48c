"""What leaves the instructor's repository: the student bundle and the Gradescope autograder.

- ``release(out)`` writes the student bundle: ``lstm_lab``, ``exercises/``, the visible tests,
  ``pyproject.toml``, ``HANDOUT.md`` (the assignment, its points read from the suite:
  ``handout``) and a README for students (the visible and hidden points, the time limits).
  No ``solutions/``, no hidden tests, no tests of the grader (their hostile submissions are
  copies of the solutions), no benchmarks.
  ``check_bundle`` then grades the bundle's stubs from inside it, with the bundle's own
  ``lstm_lab``, to show that the visible tests run there.
- ``gradescope_zip(out)`` writes an autograder zip for Gradescope: ``setup.sh`` (a virtual
  environment with pinned requirements), ``run_autograder`` (``lstm-lab grade`` on
  ``/autograder/submission``, results to ``/autograder/results/results.json``), the package,
  the solutions and the whole suite, hidden tests included.

Both copy from the project root (the folder that holds ``lstm_lab/``, ``solutions/``,
``tests/``), never from a student's copy.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from ..target import MODULES, project_root
from . import handout, suite

#: What a bundle never holds, wherever it appears.
JUNK = ("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", ".ruff_cache", "*.egg-info")
#: The libraries the autograder installs, pinned to the versions of this environment.
REQUIREMENTS = (
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "scikit-learn",
    "pytest",
    "hypothesis",
)


class BundleError(ValueError):
    """The bundle cannot be written (missing parts, or a destination that is in the way)."""


def _copytree(source: Path, destination: Path, extra_ignore=()) -> None:
    shutil.copytree(
        source,
        destination,
        ignore=shutil.ignore_patterns(*JUNK, *extra_ignore),
        dirs_exist_ok=False,
    )


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists():
        if not force:
            raise BundleError(f"{out} already exists; pass --force to replace it")
        if out.is_dir():
            shutil.rmtree(out)
        else:
            out.unlink()


def _require(root: Path, *parts: str) -> None:
    missing = [p for p in parts if not (root / p).exists()]
    if missing:
        raise BundleError(f"the project at {root} has no {', '.join(missing)}")


def visible_tests(root: Path, destination: Path) -> None:
    """Copy the part of ``root/tests`` that students get (``suite.STUDENT``)."""
    suite.copy_suite(root / "tests", destination, suite.STUDENT)


def solution_bodies(root: Path) -> dict[str, str]:
    """The source of every public solution function's body (docstring left out), by name.

    Only bodies of three lines or more: a one-line ``return`` may well appear elsewhere.
    """
    import ast

    bodies = {}
    for path in sorted((root / "solutions").glob("ex*.py")):
        source = path.read_text()
        lines = source.splitlines(keepends=True)
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.name.startswith("_") and node.name != "__init__":
                continue  # private helpers are not the exercises' answers
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
            ):
                body = body[1:]
            if not body:
                continue
            text = "".join(lines[body[0].lineno - 1 : body[-1].end_lineno])
            if len([line for line in text.splitlines() if line.strip()]) >= 3:
                bodies[f"{path.stem}.{node.name}"] = text
    return bodies


def leaked_code(bundle: Path, root: Path) -> list[str]:
    """``file: function`` for every solution body found verbatim in a file of ``bundle``."""
    bodies = solution_bodies(root)
    found = []
    for path in sorted(bundle.rglob("*.py")):
        text = path.read_text(errors="replace")
        found += [f"{path.relative_to(bundle)}: {name}" for name, b in bodies.items() if b in text]
    return found


# -- the student bundle ---------------------------------------------------------------------------
STUDENT_README = """\
# lstm_lab — exercises

Five exercises on recurrent networks in Keras 3: the five-step life cycle, why a stateless LSTM
on sliding windows cannot "echo the first bit", the stateful layout and its resets, and
truncated backpropagation through time. **The assignment is `HANDOUT.md`**: what every function
must do, and the points of each.

## Set up

    python -m venv .venv && . .venv/bin/activate
    pip install -e .

## Work

Fill in the stubs in `exercises/` ({modules}). Each stub raises
`NotImplementedError` and its docstring says what to do. Keep the file and function names.

## Check your work

    lstm-lab grade exercises

runs the visible tests against your `exercises/` and prints a table per exercise: the points of
each check and, for each failure, what was called, what came back and what was expected. It
also writes `results.json`. `lstm-lab grade exercises --exercise ex02_windows` checks one
exercise. `lstm-lab run` trains every approach of the lesson with your code and writes a report.

Your code runs in a separate process: a crash, an endless loop or a huge allocation costs the
points of that check and nothing else.

## Visible and hidden points

Here the grade counts **{visible} points**: the visible tests, in `tests/rubric/`. The grade
after submission counts **{total} points**: the same {visible}, and {hidden} more from hidden
tests ({hidden_by_module}). The hidden tests check the same rules as `HANDOUT.md`, on many more
generated inputs (edge sizes such as `window == L`, `chunk == L`, a single sequence) and on bad
input: they compare your answers with the reference solution's, and expect a `ValueError`
exactly where the reference raises one. Functions that keep the rules of `HANDOUT.md` on
every input get those points too.

## Time limits

After submission the grade runs on a machine with half a CPU, within these limits (the
defaults of the autograder; your instructor may choose others):

- the whole grade: {time_limit:g} s;
- each exercise's calls into your code, all together (an exercise that has used up its time
  fails the checks it had left):
{exercise_limits}
- any one call: {call_timeout:g} s.

These are at least four times what the reference solutions need on that machine. Grading here
{local_limits}; to grade under the submitted limits (on a faster machine they are easier to
meet):

    {limits_command}

## Submit

Upload the five files `exercises/ex0*.py` (or the `exercises/` folder) to Gradescope. The
grade there uses the same command and the same table. A missing file loses that exercise's
points; an exercise that imports a missing or broken sibling (ex05 imports ex02-ex04) is graded
there on the reference's version of that sibling, so the mistake costs the sibling's points
only. Here, with no reference to stand in, it fails, and the grade names the sibling.
"""

STUDENT_GITIGNORE = """\
__pycache__/
*.egg-info/
.venv/
.hypothesis/
.pytest_cache/
results.json
lstm_lab_report/
"""


def submitted_limits() -> dict:
    """The limits of the submitted grade: the defaults of ``lstm-lab gradescope``."""
    from .commands import EXERCISE_TIME_LIMITS, GRADESCOPE_CALL_TIMEOUT, GRADESCOPE_TIME_LIMIT

    return {
        "time_limit": GRADESCOPE_TIME_LIMIT,
        "call_timeout": GRADESCOPE_CALL_TIMEOUT,
        "exercise": dict(EXERCISE_TIME_LIMITS),
    }


def limits_command(limits: dict | None = None) -> str:
    """``lstm-lab grade exercises`` with the submitted grade's limits."""
    limits = submitted_limits() if limits is None else limits
    parts = ["lstm-lab grade exercises", f"--time-limit {limits['time_limit']:g}"]
    parts.append(f"--call-timeout {limits['call_timeout']:g}")
    parts += [f"--exercise-time-limit {m}={s:g}" for m, s in limits["exercise"].items()]
    return " ".join(parts)


def time_limits_text() -> str:
    """The handout's paragraph on time."""
    limits = submitted_limits()
    per = ", ".join(f"`{m}` {s:g} s" for m, s in limits["exercise"].items())
    return (
        f"The grade after submission stops after {limits['time_limit']:g} s in all; each "
        f"exercise's calls into your code may take, together: {per}; any one call at most "
        f"{limits['call_timeout']:g} s. The reference solutions need a quarter of that or less "
        "on the grader's machine (half a CPU). See README.md for grading under these limits."
    )


def local_limits(chosen) -> str:
    """What a grade in the bundle limits by default (``settings``), in words."""
    said = [
        f"stops after {chosen.time_limit:g} s in all"
        if chosen.time_limit
        else "has no limit on the whole grade"
    ]
    if chosen.exercise_time_limit:
        said.append(f"limits each exercise ({', '.join(chosen.exercise_time_limit)})")
    said.append(f"lets most single calls take {chosen.call_timeout:g} s")
    return ", ".join(said[:-1]) + " and " + said[-1]


def student_readme(checks) -> str:
    """The bundle's README, its figures read from the suite (``handout.points``) and from the
    autograder's defaults."""
    from . import settings

    total = handout.totals(checks)
    hidden_by_module = {}
    for check in checks:
        if check.hidden:
            hidden_by_module[check.module] = hidden_by_module.get(check.module, 0) + check.points
    limits = submitted_limits()
    return STUDENT_README.format(
        modules=", ".join(MODULES),
        visible=f"{total.visible:g}",
        hidden=f"{total.hidden:g}",
        total=f"{total.total:g}",
        hidden_by_module=", ".join(f"{m} {p:g}" for m, p in hidden_by_module.items()) or "none",
        time_limit=limits["time_limit"],
        call_timeout=limits["call_timeout"],
        exercise_limits="\n".join(f"  - {m}: {s:g} s;" for m, s in limits["exercise"].items()),
        local_limits=local_limits(settings.Settings()),
        limits_command=limits_command(limits),
    )


def release(out, *, root: Path | None = None, force: bool = False) -> list[Path]:
    """Write the student bundle to ``out``; return the top-level paths written."""
    root = project_root() if root is None else Path(root)
    out = Path(out).resolve()
    _require(root, "lstm_lab", "exercises", "tests")
    parts = [root / p for p in ("lstm_lab", "exercises", "tests", "solutions")]
    if out == root or out in root.parents or any(out == p or p in out.parents for p in parts):
        raise BundleError(f"{out} would overwrite the project itself")
    try:  # the points of the handout and the README, before anything is written
        checks = handout.points(root / "tests")
    except RuntimeError as exc:
        raise BundleError(f"the suite's points could not be read: {exc}") from None
    _prepare_out(out, force)
    out.mkdir(parents=True)
    _copytree(root / "lstm_lab", out / "lstm_lab")
    _copytree(root / "exercises", out / "exercises")
    visible_tests(root, out / "tests")
    if (root / "pyproject.toml").is_file():
        shutil.copy2(root / "pyproject.toml", out / "pyproject.toml")
    (out / "HANDOUT.md").write_text(
        handout.render(checks, handout.signatures(root / "exercises"), limits=time_limits_text())
    )
    (out / "README.md").write_text(student_readme(checks))
    (out / ".gitignore").write_text(STUDENT_GITIGNORE)
    leaks = leaked_paths(out) + leaked_code(out, root)
    if leaks:
        shutil.rmtree(out)
        raise BundleError(f"the bundle would hold instructor files or solution code: {leaks}")
    return sorted(out.iterdir())


def leaked_paths(bundle: Path) -> list[str]:
    """Paths in ``bundle`` that must never reach students."""
    bad = []
    for path in bundle.rglob("*"):
        rel = path.relative_to(bundle)
        if rel.parts[0] == "solutions" or (
            rel.parts[0] == "tests" and not suite.carried(Path(*rel.parts[1:]), suite.STUDENT)
        ):
            bad.append(str(rel))
    return bad


def check_bundle(bundle, *, args=(), timeout: float = 900) -> tuple[int, str]:
    """Grade the bundle's stubs from inside the bundle; ``(exit code, output)``.

    Runs ``python -m lstm_lab.cli grade exercises`` with the bundle first on ``sys.path``, so
    the bundle's own ``lstm_lab`` and tests are the ones used (the stubs lose every point: exit
    code 1 with a full table is a bundle that works).
    """
    bundle = Path(bundle).resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LSTM_LAB_", "PYTEST_"))}
    env["PYTHONPATH"] = str(bundle)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "grade", "exercises", "--no-results", *args],
        cwd=bundle,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc.returncode, proc.stdout + proc.stderr


# -- the Gradescope autograder --------------------------------------------------------------------
SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the image.
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
if ! command -v python3 >/dev/null || ! python3 -c 'import venv' 2>/dev/null; then
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-venv python3-pip
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install -r requirements.txt
# Workers drop to this user when the grade runs as root; it must be able to read Python and the
# package, not the solutions (the grade makes those unreadable to it).
useradd --system --no-create-home --user-group --shell /usr/sbin/nologin lstm-lab-worker \\
    2>/dev/null || true
chmod -R a+rX /autograder/source /autograder/venv
# Warm the caches (bytecode, Keras config) so that the first grade starts faster.
PYTHONPATH=/autograder/source /autograder/venv/bin/python -c 'import keras, lstm_lab.models'
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this, as root, for each submission. AUTOGRADER_ROOT, LSTM_LAB_PYTHON and
# LSTM_LAB_GRADE_ARGS (extra options) let a test run it outside Gradescope.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{LSTM_LAB_PYTHON:-$ROOT/venv/bin/python}}"
if [ ! -x "$PYTHON" ]; then PYTHON=python3; fi
SOURCE="$ROOT/source"
mkdir -p "$ROOT/results"
cd "$SOURCE"
export PYTHONPATH="$SOURCE"
export TF_CPP_MIN_LOG_LEVEL=3
# ex05's training runs one at a time: Gradescope's default container (768 MB, half a CPU) has no
# room for a second worker, and a container may hide its limits from the grader. With 2 CPUs and
# 2 GB or more, set LSTM_LAB_AHEAD=1 (or empty: the grader decides) for a faster grade.
export LSTM_LAB_AHEAD="${{LSTM_LAB_AHEAD-0}}"
options=({options})
# shellcheck disable=SC2086
"$PYTHON" -m lstm_lab.cli grade "$ROOT/submission" \\
    --tests "$SOURCE/tests" \\
    --results "$ROOT/results/results.json" \\
    --title "{title}" \\
    "${{options[@]}}" ${{LSTM_LAB_GRADE_ARGS:-}}
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
    # The grader itself failed before it could write a grade: say so rather than score 0.
    message="The autograder failed before grading (exit code $status). Please tell the staff."
    printf '{{"score": 0, "output": "%s", "tests": []}}\\n' "$message" \\
        > "$ROOT/results/results.json"
fi
exit 0
"""


def requirements() -> str:
    """Pinned requirements for the autograder: this environment's versions."""
    lines = []
    for name in REQUIREMENTS:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


def gradescope_zip(
    out,
    *,
    root: Path | None = None,
    force: bool = False,
    memory_mb: int | None = None,
    time_limit: float | None = None,
    exercise_time_limit=None,
    call_timeout: float | None = None,
    recycle_mb: int | None = None,
    hidden_visibility: str | None = None,
    title: str = "lstm_lab autograder",
) -> Path:
    """Write the Gradescope autograder zip to ``out``; return its path.

    The options become options of the ``lstm-lab grade`` that ``run_autograder`` runs.
    """
    root = project_root() if root is None else Path(root)
    out = Path(out).resolve()
    _require(root, "lstm_lab", "solutions", "tests")
    _prepare_out(out, force)
    options = []
    if memory_mb:
        options.append(f"--memory {int(memory_mb)}")
    if time_limit:
        options.append(f"--time-limit {time_limit:g}")
    if isinstance(exercise_time_limit, (int, float)):
        exercise_time_limit = [f"{exercise_time_limit:g}"]
    for limit in exercise_time_limit or []:
        options.append(f"--exercise-time-limit {limit}")
    if call_timeout:
        options.append(f"--call-timeout {call_timeout:g}")
    if recycle_mb is not None:
        options.append(f"--recycle {int(recycle_mb)}")
    if hidden_visibility:
        options.append(f"--hidden-visibility {hidden_visibility}")
    script = RUN_AUTOGRADER.format(title=title.replace('"', "'"), options=" ".join(options))
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": (SETUP_SH.encode(), 0o755),
        "run_autograder": (script.encode(), 0o755),
        "requirements.txt": (requirements().encode(), 0o644),
    }
    for folder in ("lstm_lab", "solutions", "tests"):
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or _junk(rel):
                continue
            if folder == "tests" and not suite.carried(Path(*rel.parts[1:]), suite.AUTOGRADER):
                continue  # the project's own tests stay in the repository
            entries[rel.as_posix()] = (path.read_bytes(), 0o644)
    if (root / "pyproject.toml").is_file():
        entries["pyproject.toml"] = ((root / "pyproject.toml").read_bytes(), 0o644)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in sorted(entries.items()):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out


def _junk(rel: Path) -> bool:
    return (
        any(
            part in ("__pycache__", ".pytest_cache", ".hypothesis") or part.endswith(".egg-info")
            for part in rel.parts
        )
        or rel.suffix == ".pyc"
    )


def unpack(zip_path, destination) -> Path:
    """Unpack an autograder zip keeping the executable bits (as Gradescope does)."""
    destination = Path(destination)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if info.filename.startswith("/") or ".." in Path(info.filename).parts:
                raise BundleError(f"unsafe path in the zip: {info.filename}")
            target = destination / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)
    return destination
