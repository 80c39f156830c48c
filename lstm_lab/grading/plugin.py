"""The grading plugin for pytest: points, a Gradescope ``results.json``, a table per exercise.

Loaded by ``lstm-lab grade`` (``-p lstm_lab.grading.plugin``); on its own, ``pytest -p
lstm_lab.grading.plugin --grade`` does the same with the suite's options.

- **Options** are the ``grade`` knobs of ``settings`` (``--results``, ``--exercise``,
  ``--time-limit``, ...): given here, or by the grade command through the serialised settings.
- **Points** come from ``@pytest.mark.exercise(module, points=N)``. On a test *function* they
  belong to the function: its parametrized cases share them equally, so a function worth 2
  points with 4 cases gives 0.5 a case. On a case (``pytest.param(..., marks=exercise(...))``)
  they belong to that case, which is a check of its own. An exercise's weight is the sum.
- **Grading** (``--grade``, implied by ``--results`` and ``--exercise``) runs only the tests that
  carry the marker (``--exercise MODULE`` narrows them to some exercises). A test that fails, errs
  or is skipped scores 0; its message is the failure's own (for the target's failures, the
  message the proxy wrote for the student), "not implemented yet" for a stub.
- **results.json** (``--results PATH``) is written once, at the very end of the session, after
  every worker has been stopped and whatever they left behind killed, and atomically (a
  temporary file renamed over ``PATH``), so nothing a submission does can change it afterwards.
  Tests of the ``grader`` marker (the hidden ones) get ``--hidden-visibility``.
- **Time**: ``--time-limit`` bounds the grade, ``--exercise-time-limit`` what one exercise's
  calls into the target may take (``budget.BUDGET``); the tests left when time runs out fail with
  a message saying so instead of running.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..target import MODULES
from . import budget, settings, spawn, suite

#: Characters of one failure message kept in the results and the table.
MESSAGE_LIMIT = 1500
#: The statuses a test can end with, and how the table shows them.
STATUS_LABELS = {
    "passed": "passed",
    "failed": "FAILED",
    "notimpl": "not implemented yet",
    "missing": "missing",
    "timeout": "TIMED OUT",
    "notcalled": "NOT CALLED",
    "crashed": "CRASHED",
    "error": "ERROR",
    "skipped": "skipped",
    "partial": "PARTIAL",
}
_WIDTH = 100
#: The markers the suite uses (registered here too, for suites run without the project's config).
MARKERS = (
    "exercise(module, points): the exercise module a test grades and the points it is worth",
    "grader: a differential check against solutions/ (grader side only)",
)


def pytest_addoption(parser):
    group = parser.getgroup("lstm_lab grading")
    group.addoption(
        "--grade",
        action="store_true",
        help="grade: run only tests with an exercise marker, print a table per exercise",
    )
    settings.add_pytest_options(parser, scope="grade")


def pytest_configure(config):
    chosen = settings.current().replace(**settings.given(config))
    if not (config.getoption("--grade") or chosen.results or chosen.exercise):
        return
    unknown = [m for m in chosen.exercise if m not in MODULES]
    if unknown:
        raise pytest.UsageError(
            f"--exercise must name exercise modules ({', '.join(MODULES)}), got {unknown}"
        )
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    config.stash[_KEY] = Grade(config, chosen)
    config.pluginmanager.register(config.stash[_KEY], "lstm_lab_grade")


def pytest_unconfigure(config):
    grade = config.stash.get(_KEY, None)
    if grade is not None:
        grade.applied.close()


def pytest_ignore_collect(collection_path, config):
    """When grading, never collect (nor import) the project's own test folders
    (``suite.PRIVATE``): a library test that imports TensorFlow would cost the judge 500 MB."""
    if _KEY in config.stash and suite.is_private(collection_path):
        return True
    return None


# -- what a grade is made of -----------------------------------------------------------------------
@dataclass
class Case:
    """One collected test item and how it ended."""

    nodeid: str
    status: str = "notrun"
    message: str = ""
    duration: float = 0.0


@dataclass
class Check:
    """One test function of the rubric (its parametrized cases together)."""

    key: str
    module: str
    name: str
    points: float
    hidden: bool
    cases: list[Case] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(case.status == "passed" for case in self.cases)

    @property
    def score(self) -> float:
        if not self.cases:
            return 0.0
        return round(self.points * self.passed / len(self.cases), 2)

    @property
    def status(self) -> str:
        statuses = [case.status for case in self.cases]
        if statuses and all(s == "passed" for s in statuses):
            return "passed"
        failing = [s for s in statuses if s != "passed"]
        if self.passed:
            return "partial"
        for status in (
            "crashed",
            "timeout",
            "notcalled",
            "error",
            "failed",
            "missing",
            "notimpl",
            "skipped",
        ):
            if status in failing:
                return status
        return failing[0] if failing else "failed"

    @property
    def duration(self) -> float:
        return sum(case.duration for case in self.cases)

    def output(self) -> str:
        """What a student reads about this check."""
        if self.status == "passed":
            return ""
        lines = []
        if len(self.cases) > 1:
            lines.append(f"{self.passed} of {len(self.cases)} cases passed.")
        seen = set()
        for case in self.cases:
            if case.status == "passed" or case.message in seen:
                continue
            seen.add(case.message)
            label = _case_label(case.nodeid) if len(self.cases) > 1 else ""
            lines.append(f"{label}{case.message}" if label else case.message)
            if len(seen) >= 3:
                rest = sum(c.status != "passed" and c.message not in seen for c in self.cases)
                if rest:
                    lines.append(f"(and {rest} more failing cases)")
                break
        return "\n".join(lines)


def _case_label(nodeid: str) -> str:
    if "[" in nodeid and nodeid.endswith("]"):
        return f"[{nodeid[nodeid.index('[') + 1 : -1]}] "
    return ""


_KEY = pytest.StashKey["Grade"]()


def grade_of(config) -> Grade | None:
    """The grade of a session run with this plugin, if it grades."""
    return config.stash.get(_KEY, None)


def _exercise_of(item) -> tuple[str, float] | None:
    marker = item.get_closest_marker("exercise")
    if marker is None:
        return None
    module = marker.args[0] if marker.args else marker.kwargs.get("module")
    points = marker.args[1] if len(marker.args) > 1 else marker.kwargs.get("points", 1)
    if module not in MODULES:
        raise pytest.UsageError(f"{item.nodeid}: exercise marker names unknown module {module!r}")
    try:
        points = float(points)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"{item.nodeid}: exercise points must be a number") from None
    if points < 0:
        raise pytest.UsageError(f"{item.nodeid}: exercise points must not be negative")
    return module, points


def _case_marked(item) -> bool:
    """Whether the exercise marker sits on this parametrized case (``pytest.param(marks=...)``)
    rather than on the function: then the case is a check of its own, worth its own points."""
    callspec = getattr(item, "callspec", None)
    return any(m.name == "exercise" for m in getattr(callspec, "marks", None) or [])


def _check_key(item) -> str:
    """The check an item belongs to: its test function (the nodeid without the parameters), or
    the item itself when its case carries the marker."""
    return item.nodeid if _case_marked(item) else item.nodeid.split("[", 1)[0]


class Grade:
    """The plugin's state for one grading session (registered by ``pytest_configure``)."""

    def __init__(self, config, chosen: settings.Settings):
        self.config = config
        self.settings = chosen
        self.started = time.time()
        self.clock = time.monotonic()
        self.only = set(chosen.exercise)
        self.results_path = chosen.results
        self.hidden_visibility = chosen.hidden_visibility
        self.time_limit = chosen.time_limit
        try:
            self.exercise_limit = budget.parse_exercise_limits(chosen.exercise_time_limit)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.checks: dict[str, Check] = {}
        self.cases: dict[str, Case] = {}
        self.case_check: dict[str, Check] = {}
        self.collection_errors: list[str] = []
        self.notes: list[str] = list(chosen.notes)
        self.written: Path | None = None
        # What this session chose holds for every proxy, zygote and worker it starts.
        self.applied = contextlib.ExitStack()
        self.applied.enter_context(settings.applied(chosen))
        if chosen.sandbox is not None:
            from . import sandbox

            self.notes.append(sandbox.Policy.from_settings(chosen).describe())
        budget.BUDGET.start(self.time_limit, self.exercise_limit)

    # -- collection --------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for item in items:
            found = _exercise_of(item)
            if found is None or (self.only and found[0] not in self.only):
                drop.append(item)
                continue
            module, points = found
            keep.append(item)
            key = _check_key(item)
            check = self.checks.get(key)
            if check is None:
                name = getattr(item, "originalname", None) or item.name.split("[", 1)[0]
                if _case_marked(item):
                    name = item.name
                check = self.checks[key] = Check(
                    key=key,
                    module=module,
                    name=name,
                    points=points,
                    hidden=item.get_closest_marker("grader") is not None,
                )
            case = Case(item.nodeid)
            check.cases.append(case)
            self.cases[item.nodeid] = case
            self.case_check[item.nodeid] = check
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {_text(report.longrepr)}")

    # -- running -------------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        check = self.case_check.get(item.nodeid)
        budget.BUDGET.exercise = check.module if check is not None else None
        if self.time_limit is not None and time.monotonic() - self.clock > self.time_limit:
            from .errors import OutOfTime

            name = check.name if check is not None else item.name
            raise OutOfTime(name, self.time_limit, "the grade")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        case = self.cases.get(item.nodeid)
        if case is None:
            return report
        case.duration += getattr(report, "duration", 0.0) or 0.0
        if report.passed:
            if report.when == "call" and case.status == "notrun":
                case.status = "passed"
            return report
        if case.status not in ("notrun", "passed"):
            return report  # the first failure of a test is the one that tells
        if report.skipped:
            case.status = "skipped"
            case.message = _skip_reason(report)
        else:
            case.status, case.message = _classify(call, report)
        return report

    # -- the end -----------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        from . import proxy

        proxy.close_all()
        for case in self.cases.values():
            if case.status == "notrun":
                case.status = "error"
                case.message = "not run: the grade stopped before this test"
        if self.results_path:
            self.written = write_results(self.results(), self.results_path)

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.write_line("")
        for line in self.table().splitlines():
            terminalreporter.write_line(line)
        if self.written is not None:
            terminalreporter.write_line(f"results written to {self.written}")

    # -- reports -------------------------------------------------------------------------------
    def by_module(self) -> dict[str, list[Check]]:
        grouped: dict[str, list[Check]] = {}
        for module in MODULES:
            checks = [c for c in self.checks.values() if c.module == module]
            checks.sort(key=lambda c: c.hidden)  # the visible checks first, each in suite order
            if checks:
                grouped[module] = checks
        return grouped

    def totals(self) -> tuple[float, float]:
        score = round(sum(c.score for c in self.checks.values()), 2)
        top = round(sum(c.points for c in self.checks.values()), 2)
        return score, top

    def title(self) -> str:
        return self.settings.title or "lstm-lab grade"

    def table(self) -> str:
        """The summary: a table per exercise, its points, each failure's message."""
        lines = [self.title(), "=" * _WIDTH]
        for module, checks in self.by_module().items():
            got = round(sum(c.score for c in checks), 2)
            top = round(sum(c.points for c in checks), 2)
            lines.append(_row(f"{module}", f"{_num(got)} / {_num(top)} points", fill="-"))
            said: set[str] = set()  # one mistake, one message: a repeat points back
            for check in checks:
                label = STATUS_LABELS.get(check.status, check.status)
                hidden = " (hidden)" if check.hidden else ""
                cases = f" [{check.passed}/{len(check.cases)}]" if len(check.cases) > 1 else ""
                lines.append(
                    _row(
                        f"  {label:<20}{check.name}{hidden}{cases}",
                        f"{_num(check.score)} / {_num(check.points)}",
                    )
                )
                output = check.output()
                failing = {c.message for c in check.cases if c.status != "passed"}
                if output and failing and failing <= said:
                    output = "(the same failure as above)"
                said |= failing
                wrapped = [
                    piece
                    for text in output.splitlines()
                    for piece in textwrap.wrap(text, _WIDTH - 6, break_on_hyphens=False) or [""]
                ]
                lines += ["      " + piece for piece in wrapped[:12]]
                if len(wrapped) > 12:
                    lines.append("      ...")
            lines.append("")
        if not self.checks:
            lines.append("no graded tests were collected")
        for error in self.collection_errors:
            lines.append(f"COLLECTION ERROR (not the submission's fault): {error[:500]}")
        for note in self.notes:
            lines.append(note)
        lines += self.time_warnings()
        score, top = self.totals()
        lines.append(_row("Total", f"{_num(score)} / {_num(top)} points", fill="="))
        return "\n".join(lines)

    def time_warnings(self) -> list[str]:
        """In a grade without exercise time limits (a student's own), the submitted grade's
        limits (``budget.EXERCISE_TIME_LIMITS``, each trainer's share, on half a CPU) that the
        CPU time of this grade's calls would break: what it would lose there."""
        if self.exercise_limit is not None:
            return []
        over = budget.predicted_overruns(budget.BUDGET.cpu_by_function, budget.EXERCISE_TIME_LIMITS)
        if not over:
            return []
        return [
            f"WARNING: the submitted grade limits each exercise's time, on {budget.BOX_CPUS:g} "
            "CPU; this grade would not fit:",
            *(f"  - {line}" for line in over),
            "  The reference needs a small part of each limit: look for one fit call per epoch, "
            "Python loops over samples, or far more epochs than needed.",
        ]

    def results(self) -> dict:
        """The Gradescope results: every check a test, named after its exercise."""
        tests = []
        for module, checks in self.by_module().items():
            for check in checks:
                tests.append(
                    {
                        "name": f"{module}: {check.name}",
                        "score": check.score,
                        "max_score": check.points,
                        "status": "passed" if check.status == "passed" else "failed",
                        "output": check.output(),
                        "visibility": self.hidden_visibility if check.hidden else "visible",
                        "tags": [module, "hidden" if check.hidden else "visible"],
                    }
                )
        score, top = self.totals()
        return {
            "score": score,
            "max_score": top,
            "execution_time": int(round(time.time() - self.started)),
            "output": self.table(),
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": tests,
            "extra_data": {
                "exercise_seconds": {k: round(v, 1) for k, v in budget.BUDGET.spent.items()},
                "function_seconds": {
                    k: round(v, 1) for k, v in sorted(budget.BUDGET.spent_by_function.items())
                },
                "function_cpu_seconds": {
                    k: round(v, 1) for k, v in sorted(budget.BUDGET.cpu_by_function.items())
                },
                "test_seconds": {
                    m: round(sum(c.duration for c in cs), 1) for m, cs in self.by_module().items()
                },
                "collection_errors": self.collection_errors,
                "workers": {k: round(v, 1) for k, v in spawn.STATS.items()},
            },
        }


def write_results(results: dict, path) -> Path:
    """Write ``results`` to ``path`` atomically (a temporary file renamed over it)."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(results, handle, indent=2)
            handle.write("\n")
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path


# -- turning a report into a status and a message ------------------------------------------------
def _classify(call, report) -> tuple[str, str]:
    from . import errors

    excinfo = getattr(call, "excinfo", None)
    if excinfo is None:
        return "error", _clip(_text(report.longrepr))
    exc = excinfo.value
    inner = _first_leaf(exc)
    if isinstance(inner, (errors.NotImplementedYet,)):
        return "notimpl", _clip(str(inner))
    if isinstance(inner, errors.MissingModule):
        return "missing", _clip(str(inner))
    if isinstance(inner, errors.NotCalledAgain):
        return "notcalled", _clip(str(inner))
    if isinstance(inner, errors.CallTimeout):
        return "timeout", _clip(str(inner))
    if isinstance(inner, errors.WorkerCrashed):
        return "crashed", _clip(str(inner))
    if isinstance(inner, errors.GradingFailure):
        return "failed", _clip(_with_notes(inner, str(inner)))
    if isinstance(inner, (AssertionError, pytest.fail.Exception)):
        text = str(inner) if isinstance(inner, pytest.fail.Exception) else excinfo.exconly()
        return "failed", _clip(_with_notes(inner, text))
    if report.when == "setup":
        return "error", _clip(f"the test could not start: {_text(report.longrepr)}")
    return "failed", _clip(
        _with_notes(
            inner,
            f"the test could not check the result: {type(inner).__name__}: {inner}",
        )
    )


def _first_leaf(exc):
    """The first exception of a (hypothesis) exception group, or ``exc`` itself."""
    seen = 0
    while isinstance(getattr(exc, "exceptions", None), tuple) and exc.exceptions and seen < 10:
        exc, seen = exc.exceptions[0], seen + 1
    return exc


def _with_notes(exc, text: str) -> str:
    notes = [
        n
        for n in getattr(exc, "__notes__", None) or []
        if not n.startswith(("You can reproduce", "@reproduce_failure", "Explanation:"))
        and "reproduce_failure" not in n
    ]
    return "\n".join([text, *notes]) if notes else text


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return f"skipped: {longrepr[2].removeprefix('Skipped: ')}"
    return f"skipped: {_text(longrepr)}"


def _text(longrepr) -> str:
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):
        return str(longrepr[-1])
    return str(longrepr)


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _clip(text: str) -> str:
    text = _ADDRESS.sub("", text.strip())  # the same submission must read the same twice
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 3] + "..."


def _num(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0")


def _row(left: str, right: str, fill: str = " ") -> str:
    space = _WIDTH - len(left) - len(right) - 2
    if space < 1:
        return f"{left} {right}"
    return f"{left} {fill * space} {right}"
