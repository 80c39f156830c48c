"""``lstm-lab class grade`` of a class of 20: one grade at a time against N at a time.

    python benchmarks/class.py                       # 20 submissions, the cheap exercises
    python benchmarks/class.py --size 8 --full       # every exercise (about a minute a grade)

The class is made from ``solutions/``, ``exercises/`` and the fast mutants of ``tests/mutants/``
(each appended to a copy of its module), in turn. Each configuration grades it from scratch into
a fresh SQLite gradebook, in a subprocess, on the same 2 cores (``taskset -c 0,1``), one after
another in one run: ``jobs-1`` (``--jobs 1``: one submission after another, the baseline) and
``jobs-auto`` (no ``--jobs``: the N that ``class grade`` chooses from the CPUs and memory free).
A sampler reads the proportional memory (PSS, from ``/proc/<pid>/smaps_rollup``: shared pages
split between the processes sharing them) of the coordinator and every process under it four
times a second; the peak is the largest sum. Printed: wall time, submissions per minute, the
speed-up over ``jobs-1`` and the peak PSS of the tree.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE_SECONDS = 0.25
CHEAP = ("ex02_windows", "ex03_labels")


def _mutants() -> list[tuple[str, Path]]:
    """The fast mutants: ``(module, file)``."""
    found = []
    for path in sorted((ROOT / "tests" / "mutants").glob("ex0*.py")):
        text = path.read_text()
        module = re.search(r'^MODULE = "(\w+)"', text, re.M)
        if module and "SLOW = True" not in text:
            found.append((module.group(1), path))
    return found


def make_class(folder: Path, size: int, exercises) -> None:
    """``size`` submissions: the solutions, the stubs and mutants of the graded modules."""
    mutants = [(m, p) for m, p in _mutants() if m in exercises]
    kinds = ["solutions", "exercises", *mutants]
    for number in range(size):
        kind = kinds[number % len(kinds)]
        target = folder / f"student{number:02d}"
        source = ROOT / ("exercises" if kind == "exercises" else "solutions")
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        if isinstance(kind, tuple):
            module, path = kind
            module_file = target / f"{module}.py"
            module_file.write_text(module_file.read_text() + "\n\n" + path.read_text())


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0


def _tree(pid: int) -> list[int]:
    from lstm_lab.grading import host

    return host.tree(pid)


def run(name: str, folder: Path, flags: list[str], cpus: str) -> dict:
    """Grade the class once into a fresh gradebook; its wall time and peak PSS."""
    with tempfile.TemporaryDirectory(prefix="lstm_lab_bench_class_") as scratch:
        command = ["taskset", "-c", cpus, sys.executable, "-m", "lstm_lab.cli", "class", "grade",
                   str(folder), "--db", f"sqlite:///{scratch}/gradebook.db", *flags]  # fmt: skip
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env=env, text=True)  # fmt: skip
        peak = [0]

        def sample():
            while process.poll() is None:
                peak[0] = max(peak[0], sum(_pss_kb(p) for p in _tree(process.pid)))
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        output = process.communicate()[0]
        wall = time.monotonic() - started
        sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{name} failed ({process.returncode}):\n{output}")
    chosen = re.search(r"(\d+) at a time", output)
    return {"name": name, "wall": wall, "peak_mb": peak[0] / 1024, "output": output,
            "jobs": int(chosen.group(1)) if chosen else None}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20, help="submissions (default 20)")
    parser.add_argument("--full", action="store_true", help="every exercise, not ex02 and ex03")
    parser.add_argument("--cpus", default="0,1", help="taskset's CPU list (default 0,1)")
    args = parser.parse_args(argv)
    exercises = ("ex01_lifecycle", "ex02_windows", "ex03_labels", "ex04_stateful",
                 "ex05_training") if args.full else CHEAP  # fmt: skip
    flags = [] if args.full else [f for m in CHEAP for f in ("--exercise", m)]
    with tempfile.TemporaryDirectory(prefix="lstm_lab_bench_class_") as base:
        folder = Path(base) / "class"
        make_class(folder, args.size, exercises)
        rows = [run("jobs-1", folder, [*flags, "--jobs", "1"], args.cpus),
                run("jobs-auto", folder, flags, args.cpus)]  # fmt: skip
    baseline = rows[0]["wall"]
    print(f"class of {args.size}, {'every exercise' if args.full else ', '.join(CHEAP)}, "
          f"CPUs {args.cpus}")  # fmt: skip
    print("| run | jobs | wall, s | submissions/min | speed-up | peak PSS of the tree, MB |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        per_minute = args.size / row["wall"] * 60
        print(f"| `{row['name']}` | {row['jobs']} | {row['wall']:.1f} | {per_minute:.1f} | "
              f"{baseline / row['wall']:.2f}x | {row['peak_mb']:.0f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
