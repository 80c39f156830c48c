"""A full grade's time (reference and stubs, cold and warm), its peak memory, and where.

    python benchmarks/grade.py                      # cold and warm, stubs, 1 core, baseline
    python benchmarks/grade.py --exercise ex03_labels --runs grade-2 baseline-2   # a quick look
    python benchmarks/grade.py --gradescope         # also inside an emulated Gradescope container

Each configuration runs ``lstm-lab grade solutions`` in a subprocess (as Gradescope would), while
a sampler reads the proportional memory (PSS: shared pages split between the processes that
share them, so the sum is what the tree really holds) of the judge, the zygote and every worker
four times a second. As root with a writable cgroup (v1, or v2 through ``host.unified_home``),
each run also gets a memory cgroup of its own, whose peak (v1 ``memory.max_usage_in_bytes``, v2
``memory.peak``; page cache included) is what a container's limit would see.

Configurations (all in the same run, so that they compare on the same noisy machine):

- ``cold-2``: the grade on 2 cores after dropping the kernel's page cache
  (``/proc/sys/vm/drop_caches``, as root; where that is refused, the row says so and it is a
  first run only): TensorFlow's files are read from disk again, as on a fresh container;
- ``grade-2``: the grade on 2 cores (``taskset -c 0,1``), warm: right after another grade; with
  2 CPUs and memory to spare, ex05's training runs go on two workers (``lstm_lab.grading.ahead``);
- ``in-turn-2``: the same with ``LSTM_LAB_AHEAD=0``: one worker, one run after another, as
  before (and as on 1 CPU or in 768 MB): what training ahead saves, and costs in memory;
- ``stubs-cold-2``, ``stubs-2``: the same two for the stubs (``exercises/``): every test fails
  with "not implemented yet", so this is the suite's own cost without any training;
- ``confined-2``, ``unconfined-2``: a copy of the solutions graded as a submission (the
  solutions themselves are trusted: never caged), on 2 cores: with its workers confined
  (Landlock, no network, private mounts and the worker's user as root: ``confine``) and with
  ``--unconfined``: what confinement costs in time and memory;
- ``grade-1``: the grade on one core (``taskset -c 0``);
- ``baseline-2``: the same grade with a fresh interpreter per worker (``LSTM_LAB_ZYGOTE=0``), as
  before the zygote: what forking workers from one TensorFlow import saves;
- ``gradescope``: (``--gradescope``) one core's half (cpu cgroup quota) and 768 MB of memory for the
  whole tree, as Gradescope's default container, with the options ``lstm-lab gradescope`` writes
  into ``run_autograder`` — whether the grade fits;
- ``box-2-768``: (``--runs box-2-768``) 2 cores and 768 MB for the whole tree, the grader's own
  defaults: whether it sees the limit and trains in turn, within both targets (60 s, 768 MB).

Figures are whole numbers: seconds, and MB (2**20 bytes). "own" is a process's private memory
(what it alone holds); PSS adds its share of what it shares (TensorFlow's pages, forked from the
zygote), so the PSS of all processes adds up to what the tree holds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 0.25
#: The grade's note on the runs a second worker trained (lstm_lab.grading.ahead).
AHEAD = re.compile(r"(\d+) training runs were done ahead on the second worker")
GRADESCOPE_MB = 768

from lstm_lab.grading import host  # noqa: E402 - after the path is set


# -- the process tree and its memory ---------------------------------------------------------------
def pss_mb(pid: int) -> tuple[float, float]:
    """``(PSS, private)`` of ``pid`` in MB; zeros if it is gone."""
    pss = private = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                private += int(line.split()[1])
    except OSError:
        pass
    return pss / 1024, private / 1024


def role(pid: int, judge: int, zygote: list[int]) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if pid == judge or "lstm_lab.cli grade" in cmdline:
        return "judge"
    if "lstm_lab.grading.zygote" in cmdline:
        if not zygote:
            zygote.append(pid)
        return "zygote" if pid == zygote[0] else "worker"
    if "lstm_lab.grading.worker" in cmdline:
        return "worker"
    return "other"


class Sampler(threading.Thread):
    """Samples the memory of a process tree until told to stop."""

    def __init__(self, pid: int, cgroup: Path | None):
        super().__init__(daemon=True)
        self.pid, self.cgroup = pid, cgroup
        self.peak_total = 0.0
        self.peak_role: dict[str, float] = {}
        self.at_peak: dict[str, tuple[float, float]] = {}  # role -> (PSS, private) at the peak
        self.peak_worker = 0.0
        self.peak_workers_alive = 0
        self.peak_rss_cgroup = 0.0
        self.stop = threading.Event()
        self._zygote: list[int] = []

    def run(self):
        judge = None
        while not self.stop.is_set():
            pids = host.tree(self.pid)  # sh execs taskset, which execs the judge: one pid
            if judge is None:
                judge = next((p for p in pids if role(p, -1, []) == "judge"), None)
            by_role: dict[str, float] = {}
            private_by_role: dict[str, float] = {}
            workers = 0
            for pid in pids:
                name = role(pid, judge or -1, self._zygote)
                pss, private = pss_mb(pid)
                by_role[name] = by_role.get(name, 0.0) + pss
                private_by_role[name] = private_by_role.get(name, 0.0) + private
                if name == "worker":
                    workers += 1
                    self.peak_worker = max(self.peak_worker, pss)
            total = sum(by_role.values())
            if total > self.peak_total:
                self.peak_total = total
                self.at_peak = {k: (by_role[k], private_by_role[k]) for k in by_role}
            for name, value in by_role.items():
                self.peak_role[name] = max(self.peak_role.get(name, 0.0), value)
            self.peak_workers_alive = max(self.peak_workers_alive, workers)
            if self.cgroup is not None:
                try:
                    stat = dict(
                        line.split()
                        for line in (self.cgroup / "memory.stat").read_text().splitlines()
                    )
                    rss = stat.get("total_rss", stat.get("rss", stat.get("anon", 0)))  # v2: anon
                    rss = int(rss) / 2**20
                    self.peak_rss_cgroup = max(self.peak_rss_cgroup, rss)
                except (OSError, ValueError):
                    pass
            self.stop.wait(SAMPLE_SECONDS)


# -- cgroups for a run -----------------------------------------------------------------------------
class RunGroups:
    """The cgroups of one run: v1 a memory group and a cpu group, v2 one group for both.

    ``memory`` is the group that holds the memory files (``None``: no writable memory cgroup),
    ``cpu`` the one for a CPU quota when asked for and possible.
    """

    def __init__(self, name: str, cpu: bool):
        self.version = host.cgroup_version("memory")
        self.memory = self.cpu = None
        if self.version == 2:
            wanted = ["memory", "cpu"] if cpu else ["memory"]
            group = self._make(host.unified_home(wanted), name)
            self.memory, self.cpu = group, (group if cpu else None)
        elif self.version == 1:
            self.memory = self._make(host.own_cgroup("memory"), name)
            self.cpu = self._make(host.own_cgroup("cpu"), name) if cpu else None

    @staticmethod
    def _make(base: Path | None, name: str) -> Path | None:
        if base is None or not os.access(base, os.W_OK):
            return None
        group = base / name
        try:
            group.mkdir()
        except OSError:
            return None
        return group

    def limit(self, memory_mb: int | None, half_cpu: bool) -> None:
        if memory_mb:
            limit = str(memory_mb * 2**20)
            file = "memory.max" if self.version == 2 else "memory.limit_in_bytes"
            (self.memory / file).write_text(limit)
        if half_cpu and self.version == 2:
            (self.cpu / "cpu.max").write_text("50000 100000")
        elif half_cpu:
            (self.cpu / "cpu.cfs_period_us").write_text("100000")
            (self.cpu / "cpu.cfs_quota_us").write_text("50000")

    def enter(self) -> str:
        """The shell words that put the shell into the groups, before it execs the grade."""
        groups = dict.fromkeys(g for g in (self.memory, self.cpu) if g is not None)
        return " ".join(f"echo $$ > {g}/cgroup.procs;" for g in groups)

    def peak_and_oom(self) -> tuple[float | None, bool]:
        """The memory group's peak in MB (page cache included), and whether it killed."""
        if self.memory is None:
            return None, False
        v2 = self.version == 2
        peak_file = "memory.peak" if v2 else "memory.max_usage_in_bytes"
        try:
            peak = int((self.memory / peak_file).read_text()) / 2**20
        except (OSError, ValueError):
            return None, False
        events = self.memory / ("memory.events" if v2 else "memory.oom_control")
        try:
            oom = any(
                line.startswith("oom_kill ") and int(line.split()[1]) > 0
                for line in events.read_text().splitlines()
            )
        except (OSError, ValueError):
            oom = False
        return peak, oom

    def remove(self) -> None:
        for group in dict.fromkeys(g for g in (self.memory, self.cpu) if g is not None):
            for _ in range(100):
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


# -- one run ---------------------------------------------------------------------------------------
def drop_page_cache() -> str | None:
    """Empty the kernel's page cache (root only); ``None`` if done, else why not."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as error:
        return f"page cache not dropped ({error.strerror})"
    return None


def run(
    name: str,
    cores: str | None,
    extra_args,
    env_extra=None,
    container=False,
    target="solutions",
    cold=False,
    half_cpu=True,
    copy=False,
) -> dict:
    note = drop_page_cache() if cold else None
    out = Path(tempfile.mkdtemp(prefix="grade_bench_"))
    if copy:  # graded as a submission: the solutions themselves are trusted, never caged
        target = str(shutil.copytree(ROOT / target, out / "submission"))
    results = out / "results.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT), **(env_extra or {}))
    groups = RunGroups(f"lstm_lab_bench_{os.getpid()}_{name}", cpu=container and half_cpu)
    if container:
        if groups.memory is None or (half_cpu and groups.cpu is None):
            shutil.rmtree(out)
            groups.remove()
            return {"name": name, "skipped": "needs writable cgroup memory and cpu (root)"}
        groups.limit(GRADESCOPE_MB, half_cpu)
    grade = [sys.executable, "-m", "lstm_lab.cli", "grade", target, "--results", str(results)]
    command = (["taskset", "-c", cores] if cores else []) + grade + list(extra_args)
    shell = ["sh", "-c", f'{groups.enter()} exec "$@"', "sh", *command]
    before = os.times()
    started = time.monotonic()
    proc = subprocess.Popen(
        shell, env=env, cwd=out, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    (sampler := Sampler(proc.pid, groups.memory)).start()
    output, _ = proc.communicate()
    wall, after = time.monotonic() - started, os.times()
    sampler.stop.set()
    sampler.join()
    cgroup_peak, oom = groups.peak_and_oom()
    groups.remove()
    data = json.loads(results.read_text()) if results.exists() else {}
    shutil.rmtree(out, ignore_errors=True)
    extra = data.get("extra_data", {})
    return {
        "name": name,
        "exit": proc.returncode,
        "score": f"{data.get('score', 0):g}/{data.get('max_score', 0):g}",
        "wall": wall,
        "cpu": (after.children_user + after.children_system)
        - (before.children_user + before.children_system),
        "peak_pss": sampler.peak_total,
        "peak_role": sampler.peak_role,
        "at_peak": sampler.at_peak,
        "peak_worker": sampler.peak_worker,
        "workers_alive": sampler.peak_workers_alive,
        "cgroup_peak": cgroup_peak,
        "cgroup_rss_peak": sampler.peak_rss_cgroup or None,
        "oom": oom,
        "test_seconds": extra.get("test_seconds", {}),
        "workers": extra.get("workers", {}),
        "tail": output.strip().splitlines()[-3:],
        "ahead": int(ahead[1]) if (ahead := AHEAD.search(output)) else 0,
        "note": note,
    }


# -- the report ------------------------------------------------------------------------------------
def whole(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return str(int(round(value)))


def _pair(r: dict, name: str) -> str:
    pss, private = r["at_peak"].get(name, (None, None))
    return "-" if pss is None else f"{whole(pss)} / {whole(private)}"


def _seconds_of(module: str):
    return lambda r: r["test_seconds"].get(module)


def table(runs: list[dict]) -> str:
    done = [r for r in runs if "skipped" not in r]
    modules = sorted({m for r in done for m in r["test_seconds"]})
    rows = [
        ("score", lambda r: r["score"]),
        ("exit code", lambda r: str(r["exit"])),
        ("wall time, s", lambda r: r["wall"]),
        ("CPU time, s", lambda r: r["cpu"]),
        *[(f"  tests of {m}, s", _seconds_of(m)) for m in modules],
        ("  zygote start (TF import), s", lambda r: r["workers"].get("zygote_seconds")),
        ("workers started", lambda r: r["workers"].get("workers_started")),
        ("  ex05 runs trained on the second", lambda r: r["ahead"]),
        ("peak memory, PSS sum, MB", lambda r: r["peak_pss"]),
        ("  at the peak: judge PSS / own, MB", lambda r: _pair(r, "judge")),
        ("  at the peak: zygote PSS / own, MB", lambda r: _pair(r, "zygote")),
        ("  at the peak: workers PSS / own, MB", lambda r: _pair(r, "worker")),
        ("  largest worker ever (PSS), MB", lambda r: r["peak_worker"]),
        ("  workers alive at once", lambda r: r["workers_alive"]),
        ("cgroup peak incl. cache, MB", lambda r: r["cgroup_peak"]),
        ("cgroup peak RSS (anon), MB", lambda r: r["cgroup_rss_peak"]),
        ("killed for memory", lambda r: "yes" if r["oom"] else "no"),
    ]
    width = max(len(label) for label, _ in rows) + 2
    col = max(14, *(len(r["name"]) + 2 for r in done)) if done else 14
    lines = ["".ljust(width) + "".join(r["name"].rjust(col) for r in done)]
    for label, get in rows:
        cells = []
        for r in done:
            try:
                cells.append(whole(get(r)).rjust(col))
            except (KeyError, TypeError):
                cells.append("-".rjust(col))
        lines.append(label.ljust(width) + "".join(cells))
    for r in runs:
        if "skipped" in r:
            lines.append(f"{r['name']}: skipped ({r['skipped']})")
        elif r.get("note"):
            lines.append(f"{r['name']}: {r['note']}")
    return "\n".join(lines)


def gradescope_options() -> list[str]:
    """The options ``lstm-lab gradescope`` puts in ``run_autograder`` by default."""
    from lstm_lab.cli import build_parser
    from lstm_lab.grading.commands import EXERCISE_TIME_LIMITS

    defaults = build_parser().parse_args(["gradescope", "x.zip"])
    options = ["--memory", str(defaults.memory), "--recycle", str(defaults.recycle)]
    options += ["--time-limit", f"{defaults.time_limit:g}"]
    options += ["--call-timeout", f"{defaults.call_timeout:g}"]
    for module, seconds in EXERCISE_TIME_LIMITS.items():
        options += ["--exercise-time-limit", f"{module}={seconds:g}"]
    return options


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exercise", action="append", default=[], help="grade only these")
    parser.add_argument(
        "--runs",
        nargs="+",
        default=[
            "cold-2", "grade-2", "in-turn-2", "stubs-cold-2", "stubs-2", "grade-1", "baseline-2"
        ],
        choices=[
            "cold-2", "grade-2", "in-turn-2", "stubs-cold-2", "stubs-2", "confined-2",
            "unconfined-2", "grade-1", "baseline-2", "gradescope", "box-2-768",
        ],
    )  # fmt: skip
    parser.add_argument("--gradescope", action="store_true", help="add the emulated container")
    parser.add_argument("--memory", type=int, help="--memory for the graded workers")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    extra = [a for m in args.exercise for a in ("--exercise", m)]
    if args.memory:
        extra += ["--memory", str(args.memory)]
    names = list(args.runs) + (["gradescope"] if args.gradescope else [])
    configs = {
        "cold-2": dict(cores="0,1", cold=True),
        "grade-2": dict(cores="0,1"),
        "in-turn-2": dict(cores="0,1", env_extra={"LSTM_LAB_AHEAD": "0"}),
        "stubs-cold-2": dict(cores="0,1", cold=True, target="exercises"),
        "stubs-2": dict(cores="0,1", target="exercises"),
        "confined-2": dict(cores="0,1", copy=True),
        "unconfined-2": dict(cores="0,1", copy=True, options=["--unconfined"]),
        "grade-1": dict(cores="0"),
        "baseline-2": dict(cores="0,1", env_extra={"LSTM_LAB_ZYGOTE": "0"}),
        "gradescope": dict(cores="0", container=True, options=gradescope_options()),
        "box-2-768": dict(cores="0,1", container=True, half_cpu=False),
    }
    runs = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        config = dict(configs[name])
        options = config.pop("options", [])
        result = run(name, extra_args=[*options, *extra], **config)
        runs.append(result)
        if "skipped" not in result:
            print(f"  {name}: {whole(result['wall'])} s, {result['score']}", file=sys.stderr)
    print(table(runs))
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
