"""The sandbox's parts: the policy it detects and says, the files it hides, the worker's limits.

The host's tools (cgroups, process trees) are tested in ``test_host.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from lstm_lab.grading import confine, host, sandbox, settings


def test_policy_travels_in_the_settings():
    policy = sandbox.Policy.detect(memory_mb=512, drop=False)
    chosen = settings.Settings().replace(sandbox=policy.to_dict())
    again = sandbox.Policy.from_settings(settings.Settings.from_json(chosen.to_json()))
    assert again == policy
    assert sandbox.Policy.from_settings(settings.Settings()).enabled is False
    broken = settings.Settings().replace(sandbox={"enabled": True, "nonsense": 1, "user": 3})
    assert sandbox.Policy.from_settings(broken).user == 3, "unknown fields are left out"


def test_policy_says_what_it_applies_and_what_it_could_not():
    policy = sandbox.Policy.detect(memory_mb=512, drop=False)
    text = policy.describe()
    assert policy.confined == bool(confine.available()), policy.unconfined_reason
    assert text.startswith("confined: landlock abi" if policy.confined else "unconfined: ")
    assert "memory 512 MB each" in text
    if policy.memory == "cgroup":
        assert f"cgroup v{policy.cgroup_version} memory 512 MB each" in text
    assert "files up to" in text
    assert sandbox.Policy().describe().startswith("unconfined: sandbox off")


def test_without_landlock_the_policy_is_unconfined_and_says_why(monkeypatch):
    monkeypatch.setenv("LSTM_LAB_LANDLOCK", "0")
    policy = sandbox.Policy.detect(memory_mb=512, drop=False)
    assert not policy.confined
    assert policy.describe().startswith("unconfined: ")
    assert "no filesystem confinement: disabled by LSTM_LAB_LANDLOCK=0" in policy.describe()
    assert sandbox.confine_plan("/tmp", "/tmp", policy) is None


def test_the_description_names_the_cgroup_version():
    for version in (1, 2):
        policy = sandbox.Policy(
            enabled=True, memory="cgroup", memory_mb=1024, pids=True, cgroup_version=version
        )
        text = policy.describe()
        assert f"cgroup v{version} memory 1024 MB each" in text
        assert f"processes: cgroup v{version} pids 512 each" in text
    polled = sandbox.Policy(enabled=True, memory="rlimit+poll", memory_mb=300).describe()
    assert "memory 300 MB each (RLIMIT_DATA and polling)" in polled
    assert "processes: not limited" in polled


def test_on_a_cgroup_v2_host_the_policy_limits_memory_and_pids_by_cgroup(tmp_path, monkeypatch):
    # A v2 host laid out in a folder: the judge's group hands memory and pids down.
    proc = tmp_path / "cgroup"
    proc.write_text("0::/grader/job\n")
    root = tmp_path / "fs"
    (root / "grader" / "job").mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    (root / "grader" / "job" / "cgroup.controllers").write_text("memory pids\n")
    (root / "grader" / "job" / "cgroup.subtree_control").write_text("")
    usable, version = host.cgroup_usable, host.cgroup_version
    monkeypatch.setattr(host, "cgroup_usable", lambda c, p=proc, r=root: usable(c, p, r))
    monkeypatch.setattr(host, "cgroup_version", lambda c, p=proc, r=root: version(c, p, r))
    monkeypatch.delenv("LSTM_LAB_SANDBOX_CGROUPS", raising=False)
    policy = sandbox.Policy.detect(memory_mb=512, drop=False)
    assert (policy.memory, policy.pids, policy.cgroup_version) == ("cgroup", True, 2)
    assert "cgroup v2 memory 512 MB each" in policy.describe()
    chosen = settings.Settings().replace(sandbox=policy.to_dict())
    assert sandbox.Policy.from_settings(chosen).cgroup_version == 2


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
