"""The host's facts and tools: which cgroups hold this process, a worker's groups, process trees.

cgroup v1 is tested on this machine's real hierarchies (as root); cgroup v2 on hosts laid out in
a folder (what the code writes and reads), and on a real cgroup2 mount for what needs no
controller the host cannot hand to v2 (groups, moving processes, ``cgroup.kill``, the rule of no
internal processes with whatever controller the mount has).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lstm_lab.grading import host, sandbox

needs_root = pytest.mark.skipif(not sandbox.is_root(), reason="cgroups need root")


# -- cgroup v1, for real ---------------------------------------------------------------------------
@needs_root
def test_a_jail_limits_memory_and_kills_all_it_holds():
    policy = sandbox.Policy.detect(memory_mb=128, drop=False)
    if policy.memory != "cgroup" or policy.cgroup_version != 1:
        pytest.skip("no writable cgroup v1 memory controller")
    jail = host.Jail(policy)
    groups = dict(jail.groups)
    try:
        sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
        jail.enter(sleeper.pid)
        jail.mark()
        assert sleeper.pid in jail.pids()
        group = jail.groups["memory"]
        assert int((group / "memory.limit_in_bytes").read_text()) == 128 * 2**20
        jail.kill_all()
        assert sleeper.wait(timeout=5) == -signal.SIGKILL
        assert not jail.out_of_memory()
        hog = subprocess.Popen(
            [sys.executable, "-c", "import time; x = b'x' * (512 << 20); time.sleep(5)"]
        )
        jail.enter(hog.pid)
        hog.wait(timeout=30)
        assert hog.returncode != 0
        time.sleep(0.1)
        assert jail.out_of_memory()
        assert 100 <= jail.peak_mb() <= 128
    finally:
        jail.close()
    assert groups and all(not path.exists() for path in groups.values())


def test_an_rss_watch_kills_a_growing_process():
    hog = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nx = []\nwhile True:\n    x.append(b'x' * (16 << 20))\n"
            "    time.sleep(0.01)",
        ]
    )
    watch = host.RssWatch(hog.pid, 100)
    deadline = time.monotonic() + 30
    while hog.poll() is None and time.monotonic() < deadline:
        watch()
        time.sleep(0.05)
    assert watch.tripped and hog.wait(timeout=5) == -signal.SIGKILL


# -- hosts laid out in a folder --------------------------------------------------------------------
def cgroup_v1(tmp_path, controller, files):
    tmp_path.mkdir(exist_ok=True)
    proc = tmp_path / "cgroup"
    proc.write_text(f"4:{controller}:/grader/job\n0::/\n")
    root = tmp_path / "fs"
    for relative, text in files.items():
        path = root / controller / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return proc, root


def cgroup_v2(tmp_path, files, group="grader/job"):
    tmp_path.mkdir(exist_ok=True)
    proc = tmp_path / "cgroup"
    proc.write_text(f"0::/{group}\n")
    root = tmp_path / "fs"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return proc, root


def test_a_cpu_quota_of_the_cgroup_or_an_ancestor_lowers_the_cpus(tmp_path):
    proc, root = cgroup_v1(
        tmp_path,
        "cpu",
        {
            "grader/cpu.cfs_quota_us": "50000",  # the parent: half a CPU
            "grader/cpu.cfs_period_us": "100000",
            "grader/job/cpu.cfs_quota_us": "-1",  # no quota of its own
            "grader/job/cpu.cfs_period_us": "100000",
        },
    )
    assert host.cpu_limit(proc, root) == 0.5
    proc, root = cgroup_v2(tmp_path / "v2", {"grader/job/cpu.max": "150000 100000"})
    assert host.cpu_limit(proc, root) == min(1.5, host.cpu_limit(tmp_path / "none", root))


def test_a_memory_limit_leaves_what_the_group_does_not_use(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 24000000 kB\nMemAvailable: 20480000 kB\n")
    proc, root = cgroup_v1(
        tmp_path,
        "memory",
        {
            "grader/job/memory.limit_in_bytes": str(768 * 2**20),  # Gradescope's default
            "grader/job/memory.usage_in_bytes": str(100 * 2**20),
            "grader/memory.limit_in_bytes": "9223372036854771712",  # v1's "no limit"
        },
    )
    assert host.memory_room_mb(proc, root, meminfo) == 668
    proc, root = cgroup_v2(
        tmp_path / "v2", {"grader/job/memory.max": "max", "grader/memory.max": str(2**30)}
    )
    assert host.memory_room_mb(proc, root, meminfo) == 1024
    assert host.memory_room_mb(tmp_path / "none", root, meminfo) == 20000


def test_own_cgroup_is_the_v1_directory_only(tmp_path):
    proc, root = cgroup_v1(tmp_path, "memory", {"grader/job/memory.limit_in_bytes": "1"})
    assert host.cgroup_dirs("memory", proc, root) == [
        root / "memory" / "grader" / "job",
        root / "memory" / "grader",
        root / "memory",
    ]
    assert host.own_cgroup("memory", proc, root) == root / "memory" / "grader" / "job"
    assert host.cgroup_version("memory", proc, root) == 1
    assert host.unified_group(proc, root) is None, "no cgroup2 mounted at the root"
    proc, root = cgroup_v2(tmp_path / "v2", {"grader/job/memory.max": "max"})
    assert host.cgroup_dirs("memory", proc, root)[0] == root / "grader" / "job"
    assert host.own_cgroup("memory", proc, root) is None, "a v2 group takes no v1 limits"
    assert host.cgroup_version("memory", proc, root) == 2
    assert host.unified_group(proc, root) == root / "grader" / "job"
    assert host.cgroup_version("memory", tmp_path / "none", root) is None


# -- cgroup v2, in a folder ------------------------------------------------------------------------
def delegating_host(tmp_path, subtree=""):
    """A v2 host whose judge's group ``grader/job`` may hand memory and pids down."""
    return cgroup_v2(
        tmp_path,
        {
            "grader/job/cgroup.controllers": "memory pids\n",
            "grader/job/cgroup.subtree_control": subtree,
            "grader/job/cgroup.procs": "101\n102\n",
        },
    )


def test_a_v2_group_without_processes_hands_its_controllers_down_at_once(tmp_path):
    proc, root = delegating_host(tmp_path)
    job = root / "grader" / "job"
    assert host.unified_home(["memory", "pids"], proc, root) == job
    assert (job / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert not (job / host.LEAF).exists(), "nothing moved when the kernel did not refuse"
    assert host.cgroup_usable("pids", proc, root)


def test_a_v2_group_with_processes_moves_them_into_a_leaf_first(tmp_path, monkeypatch):
    proc, root = delegating_host(tmp_path)
    job = root / "grader" / "job"
    written, write = [], host._write
    refusals = iter([True])  # the kernel refuses once: the group has processes

    def kernel(path, text, quiet=False):
        if path.name == "cgroup.subtree_control" and next(refusals, False):
            raise OSError(errno.EBUSY, "Device or resource busy")
        written.append((path.relative_to(root).as_posix(), text))
        write(path, text, quiet)

    monkeypatch.setattr(host, "_write", kernel)
    assert host.unified_home(["memory"], proc, root) == job
    leaf = f"grader/job/{host.LEAF}/cgroup.procs"
    assert written == [
        (leaf, "101"),
        (leaf, "102"),
        ("grader/job/cgroup.subtree_control", "+memory"),
    ]


def test_a_v2_group_that_stays_busy_or_cannot_have_the_controller_is_not_used(
    tmp_path, monkeypatch
):
    proc, root = delegating_host(tmp_path / "busy")
    write = host._write

    def busy(path, text, quiet=False):  # a process forks into the group each time they move
        if path.name == "cgroup.subtree_control":
            raise OSError(errno.EBUSY, "Device or resource busy")
        write(path, text, quiet)

    monkeypatch.setattr(host, "_write", busy)
    assert host.unified_home(["memory"], proc, root) is None
    assert not host.cgroup_usable("memory", proc, root)
    monkeypatch.undo()
    proc, root = delegating_host(tmp_path / "withheld")
    assert host.unified_home(["hugetlb"], proc, root) is None, "the parent does not hand it down"


def test_a_judge_in_the_leaf_makes_its_workers_groups_beside_it(tmp_path):
    # This judge, or another grade in the same group, already moved the group into its leaf.
    proc, root = delegating_host(tmp_path, subtree="memory pids\n")
    proc.write_text(f"0::/grader/job/{host.LEAF}\n")
    (root / "grader" / "job" / host.LEAF).mkdir()
    assert host.unified_home(["memory", "pids"], proc, root) == root / "grader" / "job"
    assert (root / "grader" / "job" / "cgroup.subtree_control").read_text() == "memory pids\n"


def v2_policy(memory_mb=256, pids=True):
    return sandbox.Policy(
        enabled=True, memory="cgroup", memory_mb=memory_mb, pids=pids, processes=64
    )


def test_a_v2_jail_writes_its_limits_in_one_group_and_kills_through_cgroup_kill(tmp_path):
    proc, root = delegating_host(tmp_path)
    jail = host.Jail(v2_policy(), proc_cgroup=proc, root=root)
    group = jail.groups["unified"]
    assert list(jail.groups) == ["unified"] and group.parent == root / "grader" / "job"
    assert group.name == f"lstm_lab_{os.getpid()}_{host.Jail._count}"
    assert (group / "memory.max").read_text() == str(256 * 2**20)
    assert (group / "memory.swap.max").read_text() == "0"
    assert (group / "pids.max").read_text() == "64"
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        jail.enter(sleeper.pid)
        assert jail.pids() == {sleeper.pid}
    finally:
        sleeper.kill()
        sleeper.wait()
    (group / "cgroup.procs").write_text("")  # the kernel empties it as they die
    jail.kill_all()
    assert (group / "cgroup.kill").read_text() == "1"


def test_a_v2_jail_reads_out_of_memory_from_memory_events(tmp_path):
    proc, root = delegating_host(tmp_path)
    jail = host.Jail(v2_policy(memory_mb=100), proc_cgroup=proc, root=root)
    events = jail.groups["unified"] / "memory.events"
    events.write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n")
    jail.mark()  # a new worker: what came before is not its doing
    assert not jail.out_of_memory()
    events.write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 2\noom_group_kill 0\n")
    assert jail.out_of_memory(), "a process was killed at the limit"
    jail.mark()
    events.write_text("low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n")
    assert jail.out_of_memory(), "an allocation failed at the limit"


def test_a_v2_jail_counts_reaching_the_limit_only_near_it(tmp_path):
    proc, root = delegating_host(tmp_path)
    jail = host.Jail(v2_policy(memory_mb=100), proc_cgroup=proc, root=root)
    group = jail.groups["unified"]
    (group / "memory.events").write_text("max 0\noom 0\noom_kill 0\n")
    jail.mark()
    (group / "memory.events").write_text("max 3\noom 0\noom_kill 0\n")
    assert jail.peak_mb() is None and jail.out_of_memory(), "no memory.peak (before 5.19)"
    (group / "memory.peak").write_text(str(50 * 2**20))
    assert jail.peak_mb() == 50 and not jail.out_of_memory(), "reclaim far from the limit"
    (group / "memory.peak").write_text(str(99 * 2**20))
    assert jail.out_of_memory()


def test_a_v2_jail_starts_the_peak_anew_where_the_kernel_lets_it(tmp_path, monkeypatch):
    proc, root = delegating_host(tmp_path)
    jail = host.Jail(v2_policy(), proc_cgroup=proc, root=root)
    peak = jail.groups["unified"] / "memory.peak"
    peak.write_text(str(200 * 2**20))  # an earlier worker's
    jail.mark()  # Linux 6.12: written through a descriptor the jail keeps
    assert jail._peak_fd is not None and peak.read_text().startswith("reset\n")
    peak.write_text(str(30 * 2**20))  # what the kernel shows through that descriptor
    assert jail.peak_mb() == 30
    refused = OSError(errno.EACCES, "Permission denied")  # read-only before 6.12

    def read_only(path):
        raise refused

    monkeypatch.setattr(host, "_open_peak", read_only)
    peak.write_text(str(200 * 2**20))
    jail.mark()
    assert jail._peak_fd is None and jail.peak_mb() == 200, "the group's peak, since its start"
    jail.close()


def test_a_jail_without_cgroups_holds_nothing(tmp_path):
    proc, root = delegating_host(tmp_path)
    jail = host.Jail(
        sandbox.Policy(enabled=True, memory="rlimit+poll"), proc_cgroup=proc, root=root
    )
    assert jail.groups == {} and jail.pids() == set() and not jail.out_of_memory()
    assert jail.peak_mb() is None
    jail.close()


# -- cgroup v2, for real ---------------------------------------------------------------------------
@pytest.fixture
def cgroup2(tmp_path):
    """A real cgroup2 mount: the host's (``/sys/fs/cgroup/unified`` on a hybrid host) or one
    mounted here; this process's own group in it must be there."""
    mounts = [
        line.split()[1]
        for line in Path("/proc/self/mounts").read_text().splitlines()
        if line.split()[2] == "cgroup2"
    ]
    mounted = None
    if not mounts:
        mounted = tmp_path / "cgroup2"
        mounted.mkdir()
        done = subprocess.run(["mount", "-t", "cgroup2", "none", str(mounted)], check=False)
        if done.returncode != 0:
            pytest.skip("cannot mount cgroup2 here")
        mounts = [str(mounted)]
    root = Path(mounts[0])
    own = host.unified_group(Path("/proc/self/cgroup"), root)
    try:
        if own is None or not os.access(own, os.W_OK):
            pytest.skip("this process's cgroup2 group is not writable here")
        yield root, own
    finally:
        if mounted is not None:
            subprocess.run(["umount", "-l", str(mounted)], check=False)


def _judge_group(tmp_path, root: Path, own: Path):
    """A group standing for the judge's own, with two processes in it, and a
    ``/proc/self/cgroup`` that says this process is there."""
    group = own / f"lstm_lab_test_{os.getpid()}_{tmp_path.name}"
    group.mkdir()
    sleepers = [subprocess.Popen(["sleep", "60"]) for _ in range(2)]
    for sleeper in sleepers:
        (group / "cgroup.procs").write_text(str(sleeper.pid))
    proc = tmp_path / "cgroup"
    proc.write_text(f"0::/{group.relative_to(root).as_posix()}\n")
    return group, sleepers, proc


def _remove(group: Path) -> None:
    for child in [p for p in group.iterdir() if p.is_dir()]:
        _remove(child)
    if (group / "cgroup.kill").exists():
        (group / "cgroup.kill").write_text("1")
    for _ in range(100):
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.02)


@needs_root
def test_a_real_v2_jail_moves_a_process_in_and_kills_it_through_cgroup_kill(tmp_path, cgroup2):
    root, own = cgroup2
    group, sleepers, proc = _judge_group(tmp_path, root, own)
    try:
        assert host.unified_home((), proc, root) == group
        jail = host.Jail(sandbox.Policy(enabled=True), proc_cgroup=proc, root=root)
        worker = group / "lstm_lab_worker"
        worker.mkdir()
        jail.groups["unified"] = worker  # what _make_v2 makes; no controller is needed here
        jail.enter(sleepers[0].pid)
        assert jail.pids() == {sleepers[0].pid}
        assert (worker / "cgroup.kill").exists()
        jail.kill_all()
        assert sleepers[0].wait(timeout=5) == -signal.SIGKILL
        jail.close()
        assert not worker.exists()
        assert host._procs(group) == [sleepers[1].pid]
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
        _remove(group)


@needs_root
def test_a_real_v2_group_with_processes_hands_a_controller_down_through_its_leaf(tmp_path, cgroup2):
    # The kernel's rule of no internal processes, for real, with a controller this host can
    # hand to v2 (hugetlb, where memory and pids are bound to v1): enabled in the hierarchy's
    # root for the test when it is not (the root is exempt from the rule), then restored.
    root, own = cgroup2
    if own != root:
        pytest.skip("needs this process in the cgroup2 root, to hand a controller down")
    spare = sorted(host._listed(root / "cgroup.controllers") - {"memory", "pids"})
    if not spare:
        pytest.skip("no controller available to cgroup2 here")
    controller = spare[0]
    enabled = controller not in host._listed(root / "cgroup.subtree_control")
    if enabled:
        try:
            (root / "cgroup.subtree_control").write_text(f"+{controller}")
        except OSError as exc:  # a namespace's root with processes is not the real root
            pytest.skip(f"cannot hand {controller} down from the cgroup2 root: {exc}")
    group, sleepers, proc = _judge_group(tmp_path, root, own)
    try:
        assert host.unified_home([controller], proc, root) == group
        leaf = group / host.LEAF
        assert sorted(host._procs(leaf)) == sorted(s.pid for s in sleepers)
        assert host._procs(group) == []
        assert controller in host._listed(group / "cgroup.subtree_control")
        with pytest.raises(OSError) as refused:  # the rule that made the leaf necessary
            (group / "cgroup.procs").write_text(str(sleepers[0].pid))
        assert refused.value.errno == errno.EBUSY
        proc.write_text(f"0::/{leaf.relative_to(root).as_posix()}\n")  # the judge, moved
        assert host.unified_home([controller], proc, root) == group
        assert host.cgroup_usable(controller, proc, root)
        assert sorted(host._procs(leaf)) == sorted(s.pid for s in sleepers)
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
        _remove(group)
        if enabled:
            (root / "cgroup.subtree_control").write_text(f"-{controller}")
