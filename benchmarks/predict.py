"""Does the grade before submission predict the grade after? (issue 17)

Three kinds of submission (``benchmarks/submissions/``: Keras 2 habits, right but slow, idiomatic),
each graded twice:

- **before**, as a student does: the bundle of ``lstm-lab release``, the submission copied over its
  ``exercises/``, ``lstm-lab grade exercises`` there (visible tests only, no solutions: ex05 runs
  on the student's own ex02-ex04), on this machine's CPUs;
- **after**, as Gradescope does: the zip of ``lstm-lab gradescope`` unpacked into a temporary
  ``/autograder``, its ``run_autograder`` run as root in a cgroup of half a CPU and 768 MB (the
  container Gradescope gives by default).

For each kind: the local score, the warnings the local summary printed, the submitted score and
its visible part, and the tests whose score differs between the two, with the reason each
differs (a hidden test, ex05 on the reference's pieces, a time limit the local grade warned of,
or unexplained). The figures and the verdict go to benchmarks/README.md.

    nice -n 5 python benchmarks/predict.py --json predict.json          # about 25 minutes here
    python benchmarks/predict.py --kind slow_but_correct                # one kind
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from grade import GRADESCOPE_MB, RunGroups  # noqa: E402

from lstm_lab.grading import bundle  # noqa: E402

SUBMISSIONS = ROOT / "benchmarks" / "submissions"
KINDS = ("keras2_habits", "slow_but_correct", "idiomatic")


def submission(kind: str, into: Path) -> Path:
    """A copy of solutions/ with the kind's files appended to their modules."""
    target = into / kind
    shutil.copytree(ROOT / "solutions", target, ignore=shutil.ignore_patterns("__pycache__"))
    for path in sorted((SUBMISSIONS / kind).glob("*.py")):
        module = target / path.name
        module.write_text(module.read_text() + f"\n\n# ---- {kind} ----\n" + path.read_text())
    return target


def scores(results: dict) -> dict[str, tuple[float, float, bool]]:
    """``{test name: (score, max, hidden)}``."""
    return {
        t["name"]: (t["score"], t["max_score"], "hidden" in t.get("tags", []))
        for t in results.get("tests", [])
    }


def before(kind: str, sub: Path, student_bundle: Path, work: Path) -> dict:
    here = work / f"bundle-{kind}"
    shutil.copytree(student_bundle, here)
    for module in sub.glob("ex0*.py"):
        shutil.copy2(module, here / "exercises" / module.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LSTM_LAB_", "PYTEST_"))}
    env.update(PYTHONPATH=str(here), TF_CPP_MIN_LOG_LEVEL="3")
    results = work / f"before-{kind}.json"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_lab.cli", "grade", "exercises", "--results", str(results)],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    wall = time.monotonic() - started
    data = json.loads(results.read_text()) if results.exists() else {}
    warnings = [
        line.strip()
        for line in proc.stdout.splitlines()
        if line.strip().startswith(("WARNING", "- ex0"))
    ]
    return {"wall": wall, "results": data, "warnings": warnings, "tail": proc.stdout[-1500:]}


def after(kind: str, sub: Path, autograder_zip: Path, work: Path) -> dict:
    root = work / f"autograder-{kind}"
    bundle.unpack(autograder_zip, root / "source")
    shutil.copytree(sub, root / "submission")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LSTM_LAB_", "PYTEST_"))}
    env.update(AUTOGRADER_ROOT=str(root), LSTM_LAB_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)
    groups = RunGroups(f"lstm_lab_predict_{os.getpid()}_{kind}", cpu=True)
    if groups.memory is None or groups.cpu is None:
        groups.remove()
        return {"skipped": "needs writable cgroup memory and cpu (root)"}
    groups.limit(GRADESCOPE_MB, half_cpu=True)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            ["sh", "-c", f'{groups.enter()} exec "$@"', "sh", str(root / "run_autograder")],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    finally:
        wall = time.monotonic() - started
        peak, oom = groups.peak_and_oom()
        groups.remove()
    data = json.loads((root / "results" / "results.json").read_text())
    return {"wall": wall, "results": data, "peak_mb": peak, "oom": oom, "tail": proc.stdout[-800:]}


def compare(local: dict, submitted: dict) -> dict:
    """Where the two grades differ, test by test, and why."""
    mine, theirs = scores(local["results"]), scores(submitted["results"])
    warned = " ".join(local["warnings"])
    differ = []
    for name, (score, top, hidden) in theirs.items():
        if hidden:
            continue
        got = mine.get(name, (None, top, False))[0]
        if got == score:
            continue
        module = name.split(":", 1)[0]
        output = next(t["output"] for t in submitted["results"]["tests"] if t["name"] == name)
        if "grading time" in output:
            why = "a time limit, warned of" if module in warned else "a time limit, NOT warned of"
        elif module == "ex05_training":
            why = "ex05 ran on the reference's ex02-ex04 there, on the student's own here"
        else:
            why = "unexplained"
        differ.append({"test": name, "before": got, "after": score, "why": why})
    visible = sum(s for s, _, h in theirs.values() if not h)
    visible_top = sum(t for _, t, h in theirs.values() if not h)
    return {
        "before": f"{local['results'].get('score', 0):g}/{local['results'].get('max_score', 0):g}",
        "after": f"{submitted['results'].get('score', 0):g}/"
        f"{submitted['results'].get('max_score', 0):g}",
        "after_visible": f"{visible:g}/{visible_top:g}",
        "differ": differ,
        "predicted": all(d["why"] != "unexplained" and "NOT" not in d["why"] for d in differ),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", action="append", choices=KINDS, help="default: all three")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lstm_lab_predict_"))
    try:
        # The instructor's two commands, with their defaults (the time limits included).
        student_bundle, autograder_zip = work / "bundle", work / "autograder.zip"
        cli = [sys.executable, "-m", "lstm_lab.cli"]
        subprocess.run([*cli, "release", str(student_bundle), "--no-check"], check=True)
        subprocess.run([*cli, "gradescope", str(autograder_zip)], check=True)
        report = {}
        for kind in args.kind or KINDS:
            sub = submission(kind, work / "submissions")
            print(f"{kind}: before ...", file=sys.stderr, flush=True)
            local = before(kind, sub, student_bundle, work)
            print(f"{kind}: after (half a CPU, 768 MB) ...", file=sys.stderr, flush=True)
            submitted = after(kind, sub, autograder_zip, work)
            if "skipped" in submitted:
                report[kind] = submitted
                continue
            verdict = compare(local, submitted)
            verdict.update(
                wall_before=round(local["wall"]),
                wall_after=round(submitted["wall"]),
                warnings=local["warnings"],
                peak_mb_after=submitted["peak_mb"] and round(submitted["peak_mb"]),
            )
            report[kind] = verdict
            print(json.dumps({kind: verdict}, indent=2), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
