"""Mutation testing of the rubric: cosmic-ray's mutants of each solution, graded by the rubric.

For each exercise module, cosmic-ray makes its mutants of ``solutions/<module>.py`` (every
operator that takes no arguments: binary, comparison and unary operators, numbers, ``not``,
booleans, ``and``/``or``, ``break``/``continue``, loops run zero times). Each mutant is applied to
a *copy* of ``solutions/`` in a temporary folder (``solutions/`` itself is never touched: the
hidden tests compare against it), and the copy is graded as a target by the tests that carry
``@pytest.mark.exercise("<module>", ...)``: the module's rubric file, its cases of
``test_conventions.py`` and its hidden differential checks. This file is also the pytest plugin
(``-p mutation``, a copy of it in the work folder) that keeps only those tests.

Verdicts: *killed* (some graded test failed or erred; the run stops at the first, ``-x``),
*timeout* (the run outlived the per-mutant timeout: counted as killed, as cosmic-ray does),
*survived* (every graded test passed), *equivalent* (survived, and listed in
``mutation_equivalents.toml`` with the reason it cannot change a grade), and *broken* (no JUnit
report, or a failure that is the engine's: a worker that could not start; graded up to 3 times,
then counted apart, never as killed). A survivor not listed as equivalent is a gap of the rubric.
Before its mutants and after them, the unmutated copy must pass every graded test.

Why cosmic-ray, not mutmut: the rubric never imports the target in the pytest process, workers
do, sandboxed, from a folder given by ``--target``. mutmut 3 rewrites the code under test into
trampolines that import ``mutmut`` and select the mutant from an environment variable, in its own
``mutants/`` copy of the project, and first runs the tests in-process to learn which test calls
which function. Tried here (mutmut 3.8.1) on ex03: its stats run failed, as the workers could not
import ``mutmut`` from the trampolined module, and had they been able to, no call would have
been recorded in the pytest process. cosmic-ray (tested with 8.7.0) keeps a session (SQLite) per
module, writes one plain mutant at a time into a file of our choosing (the copy), runs a test
command given as a string with a timeout that kills the command's process group, and stores the
outcome and diff. Its ``init`` and ``mutate_and_test`` are what ``cosmic-ray init`` and
``cosmic-ray exec`` call; they are called here so that mutants can be sampled and each graded
run's JUnit report read. The sessions stay readable by ``cr-report`` (``--keep DIR``; mutants
left out of a sample are recorded as skipped).

    pip install -e '.[test,mutation]'          # cosmic-ray>=8.7
    nice -n 19 python benchmarks/mutation.py --module ex02_windows --module ex03_labels
    nice -n 19 python benchmarks/mutation.py --module ex01_lifecycle --sample 25 --fast --confirm
    nice -n 19 python benchmarks/mutation.py --sample 10 --seed 1 --json mutation.json

``--sample N`` grades N mutants per module drawn with ``--seed`` (``MODULE=N`` for one module;
0, the default, means all). ``--fast`` deselects the ``slow`` tests (training to convergence);
``--confirm`` then grades each survivor again with them, so that a survivor survived the whole
rubric (ex05's tests are all slow: ``--fast`` leaves it none).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import shlex
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
RUBRIC = ROOT / "tests" / "rubric"
HIDDEN = ROOT / "tests" / "hidden" / "test_against_solutions.py"
#: The self-test's plugin ``no_shrinking`` lives there: the grading profile without shrinking.
MUTANTS = ROOT / "tests" / "mutants"
EQUIVALENTS = Path(__file__).resolve().parent / "mutation_equivalents.toml"
#: The plugin below reads the module whose tests to keep from here.
MODULE_VAR = "LSTM_LAB_MUTATION_MODULE"
#: What the zygote preloads when the module graded never imports Keras (as tests/mutants does).
PRELOAD_WITHOUT_KERAS = "numpy,pandas,sklearn.model_selection,lstm_lab.data"
NO_KERAS = ("ex02_windows", "ex03_labels")
#: The PYTHONPATH this process started with (the grading runs get the plugin's folder before it).
PYTHONPATH = os.environ.get("PYTHONPATH", "")
VERDICTS = ("killed", "timeout", "survived", "equivalent", "broken")
#: A failure whose text holds one of these is the grading engine's, not the mutant's (a worker
#: that could not start): the mutant is graded again, up to ``ATTEMPTS`` times, then "broken".
ENGINE_FAILURES = ("worker start failed",)
ATTEMPTS = 3


def pytest_collection_modifyitems(config, items):
    """As a pytest plugin: keep only the tests marked ``exercise(<module>, ...)``."""
    module = os.environ.get(MODULE_VAR)
    if not module:
        return
    kept, dropped = [], []
    for item in items:
        marks = [mark.args[0] for mark in item.iter_markers("exercise") if mark.args]
        (kept if module in marks else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@dataclass
class Mutant:
    """One mutant of a module, and the verdict of the rubric on it."""

    job_id: str
    module: str
    operator: str
    occurrence: int
    line: int
    function: str
    before: str
    after: str
    verdict: str = ""
    seconds: float = 0.0
    killed_by: str = ""
    reason: str = ""
    attempts: int = 0
    confirmed: bool = False
    tests: dict = field(default_factory=dict)

    def key(self) -> tuple[str, str, str, str]:
        return self.module, self.operator, self.before, self.after

    def short(self) -> str:
        return f"L{self.line} {self.operator.split('/')[-1]}: {self.before}  ->  {self.after}"


def changed_lines(original: str, mutated: str) -> tuple[int, str, str]:
    """``(first changed line, original text, mutated text)``, the texts stripped and joined."""
    old, new = original.splitlines(), mutated.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag != "equal":
            before = " / ".join(s.strip() for s in old[i1:i2])
            after = " / ".join(s.strip() for s in new[j1:j2])
            return i1 + 1, before, after
    return 0, "", ""


def describe(item, module: str, original: str) -> Mutant:
    """A ``Mutant`` for a cosmic-ray work item (its mutated line computed, not yet graded)."""
    import cosmic_ray.plugins
    from cosmic_ray.mutating import mutate_code

    spec = item.mutations[0]
    operator = cosmic_ray.plugins.get_operator(spec.operator_name)(**(spec.operator_args or {}))
    mutated = mutate_code(original, operator, spec.occurrence)
    line, before, after = changed_lines(original, mutated) if mutated else (0, "", "")
    return Mutant(
        job_id=item.job_id,
        module=module,
        operator=spec.operator_name,
        occurrence=spec.occurrence,
        line=line or spec.start_pos[0],
        function=spec.definition_name or "",
        before=before,
        after=after,
    )


def read_equivalents(path: Path = EQUIVALENTS) -> dict[tuple[str, str, str, str], dict]:
    """The entries of the equivalents file, keyed like ``Mutant.key()``."""
    if not path.is_file():
        return {}
    try:
        import tomllib as toml
    except ModuleNotFoundError:  # Python 3.10: the toml package comes with cosmic-ray
        import toml
    entries = toml.loads(path.read_text()).get("equivalent", [])
    found = {}
    for entry in entries:
        missing = [k for k in ("module", "operator", "before", "after", "reason") if k not in entry]
        if missing:
            raise SystemExit(f"{path.name}: an entry lacks {missing}: {entry}")
        found[entry["module"], entry["operator"], entry["before"], entry["after"]] = entry
    return found


def grading_command(module: str, target: Path, junit: Path, fast: bool) -> str:
    """The test command cosmic-ray runs for one mutant: the module's graded tests on ``target``."""
    files = [RUBRIC / f"test_{module}.py", RUBRIC / "test_conventions.py"]
    if HIDDEN.is_file():
        files.append(HIDDEN)
    command = [
        sys.executable, "-m", "pytest", *map(str, files), "--target", str(target),
        f"--junitxml={junit}", "-x", "-q", "-p", "no:cacheprovider",
        "-p", "no_shrinking", "-p", "mutation",
    ]  # fmt: skip
    if fast:
        command += ["-m", "not slow"]
    return shlex.join(command)


def grading_environment(module: str, work: Path) -> None:
    """Set this process's environment for the grading runs of ``module`` (cosmic-ray's test
    command inherits it). The plugin is a copy of this file in ``work``, so that editing it
    during a run changes nothing."""
    plugin = work / "plugin"
    plugin.mkdir(exist_ok=True)
    shutil.copy(__file__, plugin / "mutation.py")
    for name in list(os.environ):
        if name.startswith(("PYTEST_", "HYPOTHESIS_PROFILE")) or name == "LSTM_LAB_TARGET":
            del os.environ[name]
    os.environ.update(TF_CPP_MIN_LOG_LEVEL="3", HYPOTHESIS_PROFILE="grading")
    os.environ[MODULE_VAR] = module
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(plugin), str(MUTANTS), PYTHONPATH])
    )
    os.environ.pop("LSTM_LAB_PRELOAD", None)
    if module in NO_KERAS:
        os.environ["LSTM_LAB_PRELOAD"] = PRELOAD_WITHOUT_KERAS


def read_junit(junit: Path) -> tuple[dict[str, str], list[str]] | None:
    """``({test id: passed|failed|error|skipped}, ids of tests the engine failed)`` from a JUnit
    report, None if there is none."""
    if not junit.is_file():
        return None
    try:
        cases = list(ET.parse(junit).iter("testcase"))
    except ET.ParseError:
        return None
    outcomes, engine = {}, []
    for case in cases:
        found = next(
            (case.find(t) for t in ("error", "failure", "skipped") if case.find(t) is not None),
            None,
        )
        status = "passed" if found is None else found.tag
        stem = (case.get("classname") or "").rsplit(".", 1)[-1]
        name = f"{stem}::{case.get('name')}"
        outcomes[name] = "failed" if status == "failure" else status
        text = "" if found is None else f"{found.get('message')}\n{found.text}"
        if status in ("failure", "error") and any(s in text for s in ENGINE_FAILURES):
            engine.append(name)
    return outcomes, engine


def judge(result, junit: Path) -> tuple[str, str, dict]:
    """``(verdict, first failing test or what broke, outcomes)`` from cosmic-ray's result and
    the JUnit report."""
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    if result.worker_outcome != WorkerOutcome.NORMAL:
        return "broken", f"cosmic-ray: {result.worker_outcome.value}", {}
    if result.test_outcome == TestOutcome.KILLED and result.output == "timeout":
        return "timeout", "", {}
    outcomes, engine = read_junit(junit) or ({}, [])
    if not outcomes:
        return "broken", f"no JUnit report: {(result.output or '')[-300:]}", {}
    if engine:
        return "broken", f"the grading engine failed in {engine[0]}", outcomes
    failed = [name for name, status in outcomes.items() if status in ("failed", "error")]
    if failed:
        return "killed", failed[0], outcomes
    if result.test_outcome == TestOutcome.KILLED:  # pytest failed with every test passing
        return "broken", f"pytest failed: {(result.output or '')[-300:]}", outcomes
    return "survived", "", outcomes


def baseline(module: str, work: Path, fast: bool) -> float:
    """Grade the unmutated copy: every graded test must pass (before the mutants, and after
    them, which shows that the copy was restored and the engine still works). Its seconds."""
    from cosmic_ray.testing import run_tests

    junit = work / "baseline.xml"
    started = time.monotonic()
    _, output = run_tests(grading_command(module, work / "target", junit, fast), 3600)
    seconds = time.monotonic() - started
    outcomes, _ = read_junit(junit) or ({}, [])
    bad = {name: status for name, status in outcomes.items() if status in ("failed", "error")}
    if not outcomes or bad or all(s == "skipped" for s in outcomes.values()):
        raise SystemExit(
            f"{module}: the unmutated copy does not pass its graded tests "
            f"({len(outcomes)} ran, not passing: {sorted(bad)}):\n{output[-3000:]}"
        )
    return seconds


def session(module: str, work: Path):
    """A cosmic-ray session of the copy's module: ``(work db, work items sorted by position)``."""
    from cosmic_ray.commands import init
    from cosmic_ray.work_db import WorkDB

    db = WorkDB(str(work / "session.sqlite"), WorkDB.Mode.create)
    init([work / "target" / f"{module}.py"], db, {})
    # By place, operator and occurrence, never by job id (a random UUID): the sample is the same
    # from run to run.
    items = sorted(
        db.work_items,
        key=lambda i: (
            i.mutations[0].start_pos,
            i.mutations[0].operator_name,
            i.mutations[0].occurrence,
        ),
    )
    return db, items


def sample(items: list, size: int, seed: int, module: str) -> list:
    """``size`` of ``items`` (all if 0 or more than there are), drawn with ``seed``."""
    if not size or size >= len(items):
        return list(items)
    chosen = set(random.Random(f"{seed}:{module}").sample(range(len(items)), size))
    return [item for i, item in enumerate(items) if i in chosen]


def grade_mutant(item, mutant: Mutant, work: Path, fast: bool, timeout: float):
    """Apply one mutant to the copy (cosmic-ray restores it after) and grade it, again if the
    engine failed; returns cosmic-ray's result."""
    from cosmic_ray.mutating import mutate_and_test

    for attempt in range(1, ATTEMPTS + 1):
        shutil.rmtree(work / "target" / "__pycache__", ignore_errors=True)
        junit = work / "junit" / f"{item.job_id}-{attempt}.xml"
        command = grading_command(mutant.module, work / "target", junit, fast)
        started = time.monotonic()
        result = mutate_and_test(item.mutations, command, timeout)
        mutant.seconds = round(time.monotonic() - started, 1)
        mutant.verdict, mutant.killed_by, mutant.tests = judge(result, junit)
        mutant.attempts = attempt
        if mutant.verdict != "broken":
            break
        log(f"  {mutant.short()}: broken ({mutant.killed_by}), attempt {attempt}")
        time.sleep(5)
    return result


class Baselines:
    """The unmutated copy's grading time, run once per mode (fast or not) when first needed,
    and the per-mutant timeout it gives."""

    def __init__(self, module: str, work: Path, fixed: float):
        self.module, self.work, self.fixed, self.seconds = module, work, fixed, {}

    def timeout(self, fast: bool) -> float:
        if fast not in self.seconds:
            self.seconds[fast] = baseline(self.module, self.work, fast)
            log(
                f"{self.module}: the unmutated copy passes ({'fast' if fast else 'every'} test) "
                f"in {self.seconds[fast]:.0f} s"
            )
        return self.fixed or max(60.0, 4 * self.seconds[fast] + 30)


def grade_confirmed(item, mutant: Mutant, work: Path, args, baselines: Baselines):
    """Grade a mutant (``--fast``: without the slow tests, and with ``--confirm`` a survivor
    again with them, so that it survived the whole rubric); returns cosmic-ray's result."""
    result = grade_mutant(item, mutant, work, args.fast, baselines.timeout(args.fast))
    if args.fast and args.confirm and mutant.verdict == "survived":
        first = mutant.seconds
        result = grade_mutant(item, mutant, work, False, baselines.timeout(False))
        mutant.seconds, mutant.confirmed = round(first + mutant.seconds, 1), True
    return result


def prepare(module: str, work: Path) -> str:
    """The copy of solutions/ in ``work``; returns the module's unmutated source."""
    (work / "junit").mkdir(parents=True)
    target = work / "target"
    target.mkdir()
    for source in SOLUTIONS.glob("*.py"):
        shutil.copy(source, target / source.name)
    grading_environment(module, work)
    return (target / f"{module}.py").read_text()


def run_module(module: str, args, equivalents: dict, work: Path) -> dict:
    """Every (sampled) mutant of ``module`` graded: the module's summary and its mutants."""
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    original = prepare(module, work)
    started = time.monotonic()
    baselines = Baselines(module, work, args.timeout)
    timeout = baselines.timeout(args.fast)
    db, items = session(module, work)
    chosen = sample(items, args.samples.get(module, args.samples.get("*", 0)), args.seed, module)
    picked = {item.job_id for item in chosen}
    log(f"{module}: {len(chosen)} of {len(items)} mutants, timeout {timeout:.0f} s")
    mutants = []
    for n, item in enumerate(chosen, 1):
        mutant = describe(item, module, original)
        db.set_result(item.job_id, grade_confirmed(item, mutant, work, args, baselines))
        mutants.append(listed(mutant, equivalents))
        log(
            f"  [{n:3}/{len(chosen)}] {mutant.verdict:10} {mutant.seconds:6.1f} s  {mutant.short()}"
        )
    for item in items:
        if item.job_id not in picked:
            db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    db.close()
    for fast in list(baselines.seconds):  # the copy was restored, the engine still passes it
        baseline(module, work, fast)
    seconds = time.monotonic() - started
    base = {
        ("fast" if fast else "every test"): round(t, 1) for fast, t in baselines.seconds.items()
    }
    return summary(module, mutants, len(items), base, timeout, seconds)


def listed(mutant: Mutant, equivalents: dict) -> Mutant:
    """``mutant``, judged equivalent if it survived and the equivalents file lists it."""
    entry = equivalents.get(mutant.key())
    if mutant.verdict == "equivalent" and not entry:
        mutant.verdict, mutant.reason = "survived", ""
    if entry and mutant.verdict == "survived":
        mutant.verdict, mutant.reason = "equivalent", entry["reason"]
    elif entry and mutant.verdict != "equivalent":
        mutant.reason = f"listed as equivalent, but {mutant.verdict}: fix the entry"
    return mutant


def rejudge(path: Path, equivalents: dict) -> tuple[list[dict], dict]:
    """The results saved by ``--json`` at ``path``, judged again against the equivalents file
    as it is now (nothing is graded again)."""
    saved = json.loads(path.read_text())
    results = []
    for r in saved["modules"]:
        mutants = [listed(Mutant(**m), equivalents) for m in r["mutants"]]
        args = (r["baseline_seconds"], r["timeout_seconds"], r["seconds"])
        results.append(summary(r["module"], mutants, r["generated"], *args))
    return results, saved


def summary(module, mutants, generated, base, timeout, seconds) -> dict:
    counts = {verdict: sum(m.verdict == verdict for m in mutants) for verdict in VERDICTS}
    judged = len(mutants) - counts["equivalent"] - counts["broken"]
    killed = counts["killed"] + counts["timeout"]
    return {
        "module": module,
        "generated": generated,
        "graded": len(mutants),
        **counts,
        "score": round(killed / judged, 3) if judged else None,
        "baseline_seconds": base,
        "timeout_seconds": round(timeout),
        "seconds": round(seconds),
        "mutants": [asdict(m) for m in mutants],
    }


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


TABLE = (
    "| module | generated | graded | killed | timeout | survived | equivalent | broken | "
    "score | time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def report(results: list[dict], equivalents: dict, fast: bool) -> str:
    """The per-module table (Markdown), then the survivors that are not judged equivalent."""
    lines = [TABLE]
    for r in results:
        score = "n/a" if r["score"] is None else f"{r['score']:.0%}"
        lines.append(
            f"| {r['module']} | {r['generated']} | {r['graded']} | {r['killed']} | "
            f"{r['timeout']} | {r['survived']} | {r['equivalent']} | {r['broken']} | {score} | "
            f"{r['seconds']} s |"
        )
    lines.append("\nscore = (killed + timeout) / (graded - equivalent - broken)")
    for r in results:
        lines += survivors(r, fast)
    return "\n".join(lines + stale(results, equivalents))


def survivors(result: dict, fast: bool) -> list[str]:
    """The lines on a module's survivors that are not judged equivalent, and anything odd."""
    odd = [
        m
        for m in result["mutants"]
        if m["verdict"] != "equivalent" and (m["verdict"] in ("survived", "broken") or m["reason"])
    ]
    lines = [f"\n{result['module']}: survivors not judged equivalent"] if odd else []
    for m in odd:
        note = f"  ({m['reason']})" if m["reason"] else ""
        if m["verdict"] == "survived" and fast and not m["confirmed"]:
            note += "  [fast tests only]"
        where = f" in {m['function']}" if m["function"] else ""
        lines.append(
            f"  {m['verdict']:9} L{m['line']}{where} {m['operator'].split('/')[-1]}: "
            f"{m['before']}  ->  {m['after']}{note}"
        )
        if m["verdict"] == "broken":
            lines.append(f"            {m['killed_by']}")
    return lines


def stale(results: list[dict], equivalents: dict) -> list[str]:
    """Entries of the equivalents file that match no mutant of a module graded in full."""
    graded = {
        (r["module"], m["operator"], m["before"], m["after"]) for r in results for m in r["mutants"]
    }
    full = {r["module"] for r in results if r["graded"] == r["generated"]}
    found = [k for k in equivalents if k[0] in full and k not in graded]
    if not found:
        return []
    return ["\nequivalents-file entries that match no mutant any more:"] + [
        f"  {k[0]} {k[1]}: {k[2]}  ->  {k[3]}" for k in found
    ]


def parse_samples(values: list[str], modules: tuple[str, ...]) -> dict[str, int]:
    """``--sample`` values, ``N`` (every module) or ``MODULE=N``: ``{module or "*": N}``."""
    samples = {}
    for value in values:
        name, _, size = value.rpartition("=")
        if name and name not in modules:
            raise SystemExit(f"--sample {value}: no module {name!r} (one of {modules})")
        if not size.isdigit():
            raise SystemExit(f"--sample {value}: N must be a whole number (0: every mutant)")
        samples[name or "*"] = int(size)
    return samples


def arguments(argv=None):
    from lstm_lab.target import MODULES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=MODULES, help="default: all five")
    parser.add_argument(
        "--sample",
        action="append",
        default=[],
        metavar="[MODULE=]N",
        help="grade N mutants per module (0: all, the default)",
    )
    parser.add_argument("--seed", type=int, default=0, help="of the sample (default 0)")
    parser.add_argument("--fast", action="store_true", help="deselect slow tests (-m 'not slow')")
    parser.add_argument(
        "--confirm",
        action="store_true",
        help="with --fast: grade each survivor again with the slow tests",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=0,
        help="seconds per mutant (default: 4 x the unmutated run + 30, >= 60)",
    )
    parser.add_argument("--json", type=Path, help="write the results there")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="JSON",
        help="grade nothing: print the results of an earlier --json, judged against the "
        "equivalents file as it is now",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the copies, JUnit reports and cosmic-ray sessions in DIR",
    )
    args = parser.parse_args(argv)
    args.modules = tuple(args.module or MODULES)
    args.samples = parse_samples(args.sample, MODULES)
    return args


def main(argv=None) -> int:
    from importlib.metadata import version

    args = arguments(argv)
    equivalents = read_equivalents()
    if args.report:
        results, saved = rejudge(args.report, equivalents)
        print(report(results, equivalents, saved["fast"]))
        print(
            f"\n{saved['tool']}, seed {saved['seed']}, fast {saved['fast']}: {saved['seconds']} s"
        )
        return 0
    os.chdir(ROOT)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lstm-lab-mutation-", dir=args.keep))
    started = time.monotonic()
    results = []
    try:
        for module in args.modules:
            results.append(run_module(module, args, equivalents, work / module))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept in {work}")
    seconds = round(time.monotonic() - started)
    print(report(results, equivalents, args.fast))
    print(
        f"\ncosmic-ray {version('cosmic-ray')}, seed {args.seed}, fast {args.fast}, "
        f"confirm {args.confirm}: {seconds} s"
    )
    if args.json:
        settings = {
            "tool": f"cosmic-ray {version('cosmic-ray')}",
            "seed": args.seed,
            "fast": args.fast,
            "confirm": args.confirm,
            "samples": args.samples,
            "seconds": seconds,
        }
        args.json.write_text(json.dumps({**settings, "modules": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
