"""The sandbox's parts: the policy it detects, the files it hides, the groups it makes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lstm_lab.grading import sandbox


def test_policy_travels_through_the_environment():
    policy = sandbox.Policy.detect(memory_mb=512, drop=False)
    env = {}
    policy.export(env)
    again = sandbox.Policy.from_env(env)
    assert again == policy
    assert sandbox.Policy.from_env({}).enabled is False
    assert sandbox.Policy.from_env({sandbox.ENV: "not json"}).enabled is False


def test_policy_says_what_it_applies_and_what_it_could_not():
    policy = sandbox.Policy.detect(memory_mb=512, drop=False)
    text = policy.describe()
    assert text.startswith("sandbox: workers run as")
    assert "512 MB of memory each" in text
    assert "files up to" in text
    assert sandbox.Policy().describe().startswith("sandbox: off")


def test_memory_falls_back_to_rlimit_and_polling_without_cgroups(monkeypatch):
    monkeypatch.setenv("LSTM_LAB_SANDBOX_CGROUPS", "0")
    policy = sandbox.Policy.detect(memory_mb=512, drop=False)
    assert policy.memory == "rlimit+poll"
    assert any("RLIMIT_DATA and polling" in note for note in policy.notes)
    assert "data_extra" in policy.child_limits()


def test_the_solutions_are_trusted_and_a_copy_of_them_is_not(tmp_path):
    assert sandbox.is_trusted(sandbox.trusted_paths().pop())
    assert not sandbox.is_trusted(tmp_path)


def test_protect_hides_a_folder_from_other_users_and_unprotect_restores_it(tmp_path):
    folder = tmp_path / "solutions"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    changed = sandbox.protect([folder, tmp_path / "absent"])
    assert folder.stat().st_mode & 0o077 == 0
    sandbox.unprotect(changed)
    assert folder.stat().st_mode & 0o777 == 0o755


def test_a_staged_target_is_readable_and_has_no_caches(tmp_path):
    target = tmp_path / "submission"
    (target / "__pycache__").mkdir(parents=True)
    (target / "ex02_windows.py").write_text("x = 1\n")
    (target / "__pycache__" / "ex02_windows.cpython-311.pyc").write_bytes(b"stale")
    os.chmod(target / "ex02_windows.py", 0o600)
    policy = sandbox.Policy(enabled=True, uid=65534, gid=65534, user="nobody")
    copy, holder = sandbox.stage_target(target, policy)
    try:
        assert (copy / "ex02_windows.py").stat().st_mode & 0o004
        assert not (copy / "__pycache__").exists()
    finally:
        holder.cleanup()
    unchanged, none = sandbox.stage_target(target, sandbox.Policy(enabled=True))
    assert unchanged == target and none is None


def test_child_limits_bound_files_and_cores():
    # In a child: the limits hold and cannot be raised again.
    code = (
        "import resource, json, sys\n"
        "from lstm_lab.grading.sandbox import apply_child_limits\n"
        "apply_child_limits({'core': 0, 'fsize': 1 << 20})\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)\n"
        "try:\n"
        "    resource.setrlimit(resource.RLIMIT_FSIZE, (hard * 2, hard * 2))\n"
        "    raised = True\n"
        "except (ValueError, OSError):\n"
        "    raised = False\n"
        "print(json.dumps([soft, hard, resource.getrlimit(resource.RLIMIT_CORE)[0]]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    soft, hard, core = json.loads(out.stdout)
    assert soft == hard == 1 << 20 and core == 0


@pytest.mark.skipif(not sandbox.is_root(), reason="cgroups need root")
def test_a_jail_limits_memory_and_kills_all_it_holds():
    policy = sandbox.Policy.detect(memory_mb=128, drop=False)
    if policy.memory != "cgroup":
        pytest.skip("no writable cgroup v1 memory controller")
    jail = sandbox.Jail(policy)
    try:
        sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
        jail.enter(sleeper.pid)
        jail.mark()
        assert sleeper.pid in jail.pids()
        group = jail.groups["memory"]
        assert int((group / "memory.limit_in_bytes").read_text()) == 128 * 2**20
        jail.kill_all()
        assert sleeper.wait(timeout=5) == -signal.SIGKILL
        hog = subprocess.Popen(
            [sys.executable, "-c", "import time; x = b'x' * (512 << 20); time.sleep(5)"]
        )
        jail.enter(hog.pid)
        hog.wait(timeout=30)
        assert hog.returncode != 0
        time.sleep(0.1)
        assert jail.out_of_memory()
    finally:
        jail.close()
    assert all(not path.exists() for path in jail.groups.values())


def test_an_rss_watch_kills_a_growing_process():
    hog = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nx = []\nwhile True:\n    x.append(b'x' * (16 << 20))\n"
            "    time.sleep(0.01)",
        ]
    )
    watch = sandbox.RssWatch(hog.pid, 100)
    deadline = time.monotonic() + 30
    while hog.poll() is None and time.monotonic() < deadline:
        watch()
        time.sleep(0.05)
    assert watch.tripped and hog.wait(timeout=5) == -signal.SIGKILL


def test_two_grades_at_once_restore_the_mode_found_before_either(tmp_path):
    folder = tmp_path / "solutions"
    folder.mkdir()
    os.chmod(folder, 0o755)
    first = sandbox.protect([folder])
    second = sandbox.protect([folder])  # another grade of the same checkout, at the same time
    assert second == first
    sandbox.unprotect(first)
    assert folder.stat().st_mode & 0o077 == 0  # the other grade still runs
    sandbox.unprotect(second)
    assert folder.stat().st_mode & 0o777 == 0o755


def test_a_grade_that_died_holding_a_folder_does_not_make_its_protection_permanent(tmp_path):
    # A judge killed between protect and unprotect leaves the folder at 700 and its entry in the
    # ledger; the next grade must restore the mode from before, not the 700 it finds.
    folder = tmp_path / "solutions"
    folder.mkdir()
    os.chmod(folder, 0o755)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    def died_holding(ledger):
        key = str(folder.resolve())
        ledger[key] = {"mode": 0o755, "holders": [dead.pid]}
        os.chmod(folder, 0o700)

    sandbox._ledger(died_holding)
    changed = sandbox.protect([folder])
    assert changed == [(str(folder.resolve()), 0o755)]
    sandbox.unprotect(changed)
    assert folder.stat().st_mode & 0o777 == 0o755


# -- what this process may use ---------------------------------------------------------------
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


def cgroup_v2(tmp_path, files):
    tmp_path.mkdir(exist_ok=True)
    proc = tmp_path / "cgroup"
    proc.write_text("0::/grader/job\n")
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
    assert sandbox.cpu_limit(proc, root) == 0.5
    proc, root = cgroup_v2(tmp_path / "v2", {"grader/job/cpu.max": "150000 100000"})
    assert sandbox.cpu_limit(proc, root) == min(1.5, sandbox.cpu_limit(tmp_path / "none", root))


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
    assert sandbox.memory_room_mb(proc, root, meminfo) == 668
    proc, root = cgroup_v2(
        tmp_path / "v2", {"grader/job/memory.max": "max", "grader/memory.max": str(2**30)}
    )
    assert sandbox.memory_room_mb(proc, root, meminfo) == 1024
    assert sandbox.memory_room_mb(tmp_path / "none", root, meminfo) == 20000


def test_own_cgroup_is_the_v1_directory_only(tmp_path, monkeypatch):
    proc, root = cgroup_v1(tmp_path, "memory", {"grader/job/memory.limit_in_bytes": "1"})
    assert sandbox.cgroup_dirs("memory", proc, root) == [
        root / "memory" / "grader" / "job",
        root / "memory" / "grader",
        root / "memory",
    ]
    proc, root = cgroup_v2(tmp_path / "v2", {"grader/job/memory.max": "max"})
    assert sandbox.cgroup_dirs("memory", proc, root)[0] == root / "grader" / "job"
    monkeypatch.setattr(sandbox, "_CGROUP_ROOT", root)
    monkeypatch.setattr(sandbox, "cgroup_dirs", lambda c: [root / "grader" / "job", root])
    assert sandbox.own_cgroup("memory") is None, "a v2 group takes no v1 limits"
