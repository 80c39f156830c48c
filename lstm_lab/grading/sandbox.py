"""The worker's cage: whom it runs as, what it may read, how much it may take.

The judge decides a grade from data; the sandbox makes sure a submission cannot reach around
that data. What it can do depends on where the grader runs, so it is detected, and what was
applied is said in the grade's output (``Policy.describe``):

- **As root** (Gradescope), workers of an untrusted target drop to an unprivileged user: a
  dedicated ``lstm-lab-worker`` created with ``useradd`` when missing, else ``nobody``. The
  solutions and the hidden tests are made unreadable to it (``protect``), the target is staged in
  a copy it can read (``stage_target``), and the user cannot signal or trace the judge.
- **Memory**: a cgroup v1 memory group per worker, nested under the judge's own, when
  ``/sys/fs/cgroup/memory`` is writable (``memory.limit_in_bytes``; the kernel kills the worker
  at the limit). Otherwise ``RLIMIT_DATA`` in the worker plus the judge polling the worker's
  resident memory (``RssWatch``) and killing it past the limit.
- **Processes**: a cgroup v1 ``pids`` group when writable, ``RLIMIT_NPROC`` for a dedicated
  user; every process a worker leaves behind is killed when it stops (its process group, its
  cgroup, and — the judge being a child subreaper — its orphans).
- **Files**: ``RLIMIT_FSIZE`` bounds what a worker may write (its stderr log too), and
  ``RLIMIT_CORE`` is 0.
- **The kernel's choice**: a caged worker's ``oom_score_adj`` is 1000, so when a container runs
  out of memory before a worker reaches its own limit, the worker dies, not the judge, the zygote
  or the solutions' worker.

Trusted targets (the solutions) run without a cage: they are ours, and they must read
themselves. The grade command exports the policy in ``LSTM_LAB_SANDBOX`` so that every
``TargetProxy`` of the judge applies it; without that variable nothing is caged except the file
size and core limits.
"""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: The environment variable that carries the policy from the grade command to every proxy.
ENV = "LSTM_LAB_SANDBOX"
#: Targets that run uncaged (os.pathsep-separated paths); the project's solutions always do.
TRUSTED_ENV = "LSTM_LAB_TRUSTED"
#: The dedicated user workers run as when the grader runs as root.
WORKER_USER = "lstm-lab-worker"
#: Defaults: memory per worker (MB), processes and threads per worker, largest file (MB).
DEFAULT_MEMORY_MB = 1024
DEFAULT_PROCESSES = 512
DEFAULT_FILE_MB = 256

_CGROUP_ROOT = Path("/sys/fs/cgroup")
_PR_SET_CHILD_SUBREAPER = 36


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


# -- the policy ------------------------------------------------------------------------------------
@dataclass
class Policy:
    """What the judge applies to the workers of untrusted targets.

    ``user``/``uid``/``gid`` are set when workers drop privileges; ``memory`` is how the memory
    limit is enforced (``"cgroup"``, ``"rlimit+poll"`` or ``"none"``); ``pids`` whether a pids
    cgroup bounds processes; ``notes`` what could not be applied, for the output.
    """

    enabled: bool = False
    user: str | None = None
    uid: int | None = None
    gid: int | None = None
    dedicated_user: bool = False
    memory_mb: int | None = DEFAULT_MEMORY_MB
    memory: str = "none"
    pids: bool = False
    processes: int = DEFAULT_PROCESSES
    file_mb: int = DEFAULT_FILE_MB
    protected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # -- building one ------------------------------------------------------------------------
    @classmethod
    def detect(
        cls,
        *,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        drop: bool | None = None,
        cgroups: bool | None = None,
        processes: int = DEFAULT_PROCESSES,
        file_mb: int = DEFAULT_FILE_MB,
    ) -> Policy:
        """The strongest policy this process can apply.

        ``drop``: drop privileges (default: when root). ``cgroups``: use cgroups when writable
        (default: yes unless ``LSTM_LAB_SANDBOX_CGROUPS=0``).
        """
        policy = cls(enabled=True, memory_mb=memory_mb, processes=processes, file_mb=file_mb)
        drop = is_root() if drop is None else drop
        if drop and not is_root():
            policy.notes.append("workers run as you: dropping privileges needs root")
            drop = False
        if drop:
            user, uid, gid, dedicated = worker_user(policy.notes)
            blocked = unreadable_as(uid, gid, runtime_paths())
            if blocked is None:
                policy.user, policy.uid, policy.gid, policy.dedicated_user = (
                    user,
                    uid,
                    gid,
                    dedicated,
                )
            else:
                policy.notes.append(
                    f"workers run as root: user {user} cannot read {blocked}, which Python needs "
                    "(make the Python installation readable to all to let workers drop "
                    "privileges)"
                )
        if cgroups is None:
            cgroups = os.environ.get("LSTM_LAB_SANDBOX_CGROUPS", "1") != "0"
        if memory_mb:
            if cgroups and _cgroup_usable("memory"):
                policy.memory = "cgroup"
            else:
                policy.memory = "rlimit+poll"
                policy.notes.append(
                    "memory limit by RLIMIT_DATA and polling (no writable cgroup v1 memory "
                    "controller)"
                )
        policy.pids = bool(cgroups and _cgroup_usable("pids"))
        return policy

    @classmethod
    def from_env(cls, environ=None) -> Policy:
        """The policy the grade command exported, or a disabled one."""
        text = (environ or os.environ).get(ENV)
        if not text:
            return cls()
        try:
            data = json.loads(text)
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return cls()

    def export(self, environ=None) -> None:
        """Put the policy in the environment, for every proxy of this judge."""
        (os.environ if environ is None else environ)[ENV] = json.dumps(asdict(self))

    # -- what it does ---------------------------------------------------------------------------
    @property
    def drops(self) -> bool:
        return self.enabled and self.uid is not None

    def describe(self) -> str:
        """One paragraph for the grade's output."""
        if not self.enabled:
            return "sandbox: off (workers run as you, without limits)"
        who = (
            f"user {self.user} (uid {self.uid})"
            if self.drops
            else ("root" if is_root() else "your user")
        )
        parts = [f"workers run as {who}"]
        if self.memory_mb:
            how = {"cgroup": "cgroup v1", "rlimit+poll": "RLIMIT_DATA and polling"}.get(
                self.memory, self.memory
            )
            parts.append(f"{self.memory_mb} MB of memory each ({how})")
        limit = (
            "pids cgroup"
            if self.pids
            else ("RLIMIT_NPROC" if self.dedicated_user else "not limited")
        )
        parts.append(f"processes: {limit}")
        parts.append(f"files up to {self.file_mb} MB")
        if self.protected:
            parts.append("unreadable to workers: " + ", ".join(self.protected))
        text = "sandbox: " + "; ".join(parts)
        if self.notes:
            text += "\n" + "\n".join(f"sandbox note: {note}" for note in self.notes)
        return text

    def child_limits(self) -> dict:
        """The rlimits a caged worker sets on itself before it runs target code."""
        # The first process the kernel kills when the machine (or container) runs out of
        # memory: never the judge, the zygote or the solutions' worker.
        limits = {"core": 0, "fsize": self.file_mb * 2**20, "oom_score_adj": 1000}
        if self.drops and self.dedicated_user and not self.pids:
            limits["nproc"] = self.processes
        if self.memory == "rlimit+poll" and self.memory_mb:
            limits["data_extra"] = self.memory_mb * 2**20
        return limits


def trusted_paths() -> set[str]:
    """Targets that never run caged: the project's solutions, and ``LSTM_LAB_TRUSTED``."""
    paths = {str((Path(__file__).resolve().parents[2] / "solutions").resolve())}
    for item in os.environ.get(TRUSTED_ENV, "").split(os.pathsep):
        if item:
            paths.add(str(Path(item).resolve()))
    return paths


def is_trusted(path) -> bool:
    return str(Path(path).resolve()) in trusted_paths()


# -- the user --------------------------------------------------------------------------------------
def worker_user(notes: list[str] | None = None) -> tuple[str, int, int, bool]:
    """``(name, uid, gid, dedicated)`` of the user workers run as; creates it when missing."""
    notes = [] if notes is None else notes
    try:
        entry = pwd.getpwnam(WORKER_USER)
        return entry.pw_name, entry.pw_uid, entry.pw_gid, True
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    try:
        subprocess.run(
            [
                useradd,
                "--system",
                "--no-create-home",
                "--user-group",
                "--shell",
                "/usr/sbin/nologin",
                WORKER_USER,
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        entry = pwd.getpwnam(WORKER_USER)
        return entry.pw_name, entry.pw_uid, entry.pw_gid, True
    except (OSError, subprocess.SubprocessError, KeyError) as exc:
        notes.append(f"could not create user {WORKER_USER} ({exc}); workers run as nobody")
    entry = pwd.getpwnam("nobody")
    return entry.pw_name, entry.pw_uid, entry.pw_gid, False


def runtime_paths() -> list[str]:
    """Files a worker must read: the interpreter, the standard library, NumPy, lstm_lab."""
    import numpy

    paths = [os.path.realpath(sys.executable), os.__file__, numpy.__file__]
    paths.append(str(Path(__file__).resolve().parents[1] / "__init__.py"))
    try:
        import importlib.util

        spec = importlib.util.find_spec("keras")
        if spec is not None and spec.origin:
            paths.append(spec.origin)
    except (ImportError, ValueError):
        pass
    return paths


def unreadable_as(uid: int, gid: int, paths) -> str | None:
    """The first of ``paths`` that user ``uid`` cannot read (checked in a forked child)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        code = 0
        try:
            drop_privileges(uid, gid)
            for path in paths:
                try:
                    with open(path, "rb") as handle:
                        handle.read(1)
                except OSError:
                    os.write(w, path.encode())
                    code = 1
                    break
        except BaseException:  # noqa: BLE001
            os.write(w, b"(could not switch user)")
            code = 1
        os._exit(code)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return data.decode(errors="replace") or None


# -- files -----------------------------------------------------------------------------------------
#: Where judges on this machine agree on what they protected (so that two grades of one
#: checkout at once restore the modes found before either, not each other's).
_PROTECT_LEDGER = Path(tempfile.gettempdir()) / "lstm_lab_protected.json"


def _ledger(update):
    """Run ``update(ledger) -> result`` on the shared ledger, under an exclusive lock."""
    import fcntl

    with open(_PROTECT_LEDGER.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            ledger = json.loads(_PROTECT_LEDGER.read_text())
        except (OSError, ValueError):
            ledger = {}
        result = update(ledger)
        _PROTECT_LEDGER.write_text(json.dumps(ledger))
        return result


def protect(paths) -> list[tuple[str, int]]:
    """Make each existing directory unreadable to anyone but its owner; return how to undo it.

    Only meaningful when workers run as another user. Returns ``[(path, old_mode)]`` for
    ``unprotect``. Grades running at once share a count per path: the mode found by the first
    is the one the last restores.
    """

    def update(ledger):
        changed = []
        for path in paths:
            path = Path(path)
            if not path.exists():
                continue
            key = str(path.resolve())
            entry = ledger.get(key)
            if entry is None:
                entry = ledger[key] = {"mode": path.stat().st_mode & 0o7777, "holders": []}
            elif not _alive_any(entry["holders"]):
                # A grade died holding it: the folder is still protected, and the mode to
                # restore is the one that grade recorded, not the one found now.
                entry["holders"] = []
            entry["holders"].append(os.getpid())
            os.chmod(path, entry["mode"] & ~0o077)
            changed.append((key, entry["mode"]))
        return changed

    return _ledger(update)


def unprotect(changed) -> None:
    """Undo ``protect``: the last grade holding a path restores its mode."""

    def update(ledger):
        for path, mode in changed:
            entry = ledger.get(path)
            holders = list((entry or {}).get("holders", []))
            if os.getpid() in holders:
                holders.remove(os.getpid())  # one hold of this process; it may hold twice
            holders = [p for p in holders if _alive_any([p])]
            if holders:
                entry["holders"] = holders
                continue
            ledger.pop(path, None)
            try:
                os.chmod(path, mode)
            except OSError:
                pass

    if changed:
        _ledger(update)


def _alive_any(pids) -> bool:
    for pid in pids:
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            continue
        except PermissionError:
            return True
    return False


def stage_target(path, policy: Policy) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    """A copy of the target that the worker's user can read (when privileges drop).

    The copy holds the target's Python files and folders (no caches), owned by the judge and
    readable to all, so the worker can import it whatever the submission's permissions were —
    and cannot change what later calls import.
    """
    path = Path(path)
    if not policy.drops:
        return path, None
    holder = tempfile.TemporaryDirectory(prefix="lstm_lab_target_")
    os.chmod(holder.name, 0o755)
    copy = Path(holder.name) / path.name
    shutil.copytree(
        path,
        copy,
        symlinks=False,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
        ignore_dangling_symlinks=True,
    )
    for root, _dirs, files in os.walk(copy):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    return copy, holder


def prepare_workdir(path, policy: Policy) -> None:
    """Give the worker's own directory (its cwd and HOME) to the worker's user."""
    if policy.drops:
        os.chown(path, policy.uid, policy.gid)
        os.chmod(path, 0o700)


# -- in the worker, before any target code --------------------------------------------------------
def apply_child_limits(limits: dict) -> None:
    """Lower this process's rlimits (called in the worker, before it drops privileges)."""

    def lower(which, value):
        soft, hard = resource.getrlimit(which)
        value = int(value)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass

    if "core" in limits:
        lower(resource.RLIMIT_CORE, limits["core"])
    if "fsize" in limits:
        lower(resource.RLIMIT_FSIZE, limits["fsize"])
    if "nproc" in limits:
        lower(resource.RLIMIT_NPROC, limits["nproc"])
    if "data_extra" in limits:
        lower(resource.RLIMIT_DATA, _vm_data() + limits["data_extra"])
    if "oom_score_adj" in limits:
        try:
            Path("/proc/self/oom_score_adj").write_text(str(int(limits["oom_score_adj"])))
        except OSError:
            pass


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` for good (no supplementary groups)."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:  # pragma: no cover - defensive
        raise OSError("could not drop privileges")


def _vm_data() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# -- cgroups ---------------------------------------------------------------------------------------
def cgroup_dirs(
    controller: str, proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = _CGROUP_ROOT
) -> list[Path]:
    """This process's cgroup directory for ``controller`` and its ancestors, innermost first.

    cgroup v1 (``N:memory:/path``) under ``root/controller``, v2 (``0::/path``, where ``root``
    holds ``cgroup.controllers``) under ``root``. Directories that do not exist are included
    (a container often sees its own group as the root): read them with care.
    """
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return []
    found = None  # (base, path): a v1 hierarchy of the controller wins over v2
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if controller in parts[1].split(","):
            found = (root / controller, parts[2])
            break
        if parts[0] == "0" and parts[1] == "" and (root / "cgroup.controllers").exists():
            found = (root, parts[2])
    if found is None:
        return []
    base, relative = found
    path = base / relative.strip("/")
    return [d for d in [path, *path.parents] if d == base or base in d.parents]


def own_cgroup(controller: str) -> Path | None:
    """This process's directory in the cgroup v1 hierarchy of ``controller``, if mounted."""
    dirs = cgroup_dirs(controller)
    if not dirs or dirs[-1] != _CGROUP_ROOT / controller:  # not v1
        return None
    return dirs[0] if dirs[0].is_dir() else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cpu_limit(proc_cgroup: Path = Path("/proc/self/cgroup"), root: Path = _CGROUP_ROOT) -> float:
    """The CPUs this process may use: its affinity, lowered by any cgroup CPU quota."""
    try:
        cpus = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = float(os.cpu_count() or 1)
    for directory in cgroup_dirs("cpu", proc_cgroup, root):
        quota = _read(directory / "cpu.cfs_quota_us")
        period = _read(directory / "cpu.cfs_period_us")
        if quota is None and period is None:  # v2: "max 100000" or "50000 100000"
            fields = (_read(directory / "cpu.max") or "").split()
            if len(fields) == 2:
                quota, period = fields
        try:
            quota_us, period_us = float(quota), float(period)
        except (TypeError, ValueError):
            continue
        if quota_us > 0 and period_us > 0:
            cpus = min(cpus, quota_us / period_us)
    return cpus


def memory_room_mb(
    proc_cgroup: Path = Path("/proc/self/cgroup"),
    root: Path = _CGROUP_ROOT,
    meminfo: Path = Path("/proc/meminfo"),
) -> float:
    """The memory this process's tree may still take, in MB: the machine's available memory,
    lowered by any cgroup limit (less what the group already uses)."""
    room = float("inf")
    for line in (_read(meminfo) or "").splitlines():
        if line.startswith("MemAvailable:"):
            room = int(line.split()[1]) / 1024
    for directory in cgroup_dirs("memory", proc_cgroup, root):
        limit = _read(directory / "memory.limit_in_bytes") or _read(directory / "memory.max")
        usage = _read(directory / "memory.usage_in_bytes") or _read(directory / "memory.current")
        try:
            limit_b = int(limit)
        except (TypeError, ValueError):
            continue  # "max", or no such file
        if limit_b >= 2**60:  # v1's "no limit"
            continue
        try:
            used_b = int(usage)
        except (TypeError, ValueError):
            used_b = 0
        room = min(room, (limit_b - used_b) / 2**20)
    return room


def _cgroup_usable(controller: str) -> bool:
    base = own_cgroup(controller)
    if base is None or not os.access(base, os.W_OK):
        return False
    probe = base / f"lstm_lab_probe_{os.getpid()}"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        probe.rmdir()
    except OSError:
        pass
    return True


class Jail:
    """The cgroups of one worker: memory and pids limits, and a way to kill all it started."""

    _count = 0

    def __init__(self, policy: Policy):
        Jail._count += 1
        name = f"lstm_lab_{os.getpid()}_{Jail._count}"
        self.policy = policy
        self.groups: dict[str, Path] = {}
        if policy.memory == "cgroup" and policy.memory_mb:
            group = self._make("memory", name)
            if group is not None:
                limit = str(policy.memory_mb * 2**20)
                _write(group / "memory.limit_in_bytes", limit)
                _write(group / "memory.memsw.limit_in_bytes", limit, quiet=True)
                _write(group / "memory.swappiness", "0", quiet=True)
        if policy.pids:
            group = self._make("pids", name)
            if group is not None:
                _write(group / "pids.max", str(policy.processes))

    def _make(self, controller: str, name: str) -> Path | None:
        base = own_cgroup(controller)
        if base is None:
            return None
        group = base / name
        try:
            group.mkdir(exist_ok=True)
        except OSError:
            return None
        self.groups[controller] = group
        return group

    def enter(self, pid: int) -> None:
        """Put process ``pid`` (and so everything it will start) into the groups."""
        for group in self.groups.values():
            _write(group / "cgroup.procs", str(pid))

    def pids(self) -> set[int]:
        found = set()
        for group in self.groups.values():
            try:
                found.update(int(p) for p in (group / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def kill_all(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def _counters(self) -> tuple[int, int]:
        """``(oom kills, times the limit was hit)`` of the memory group so far."""
        group = self.groups.get("memory")
        kills = hits = 0
        if group is None:
            return kills, hits
        try:
            for line in (group / "memory.oom_control").read_text().splitlines():
                if line.startswith("oom_kill "):
                    kills = int(line.split()[1])
            hits = int((group / "memory.failcnt").read_text())
        except (OSError, ValueError):
            pass
        return kills, hits

    def mark(self) -> None:
        """Remember the counters when a worker starts (the groups outlive restarts)."""
        self._mark = self._counters()
        if "memory" in self.groups:
            _write(self.groups["memory"] / "memory.max_usage_in_bytes", "0", quiet=True)

    def out_of_memory(self) -> bool:
        """Whether the kernel hit the memory limit since the current worker started."""
        if "memory" not in self.groups:
            return False
        kills, hits = self._counters()
        before = getattr(self, "_mark", (0, 0))
        if kills > before[0]:
            return True
        try:
            return hits > before[1] and _near_limit(self.groups["memory"])
        except (OSError, ValueError):
            return False

    def peak_mb(self) -> int | None:
        group = self.groups.get("memory")
        try:
            return int((group / "memory.max_usage_in_bytes").read_text()) // 2**20
        except (OSError, ValueError, TypeError):
            return None

    def close(self) -> None:
        self.kill_all()
        for group in self.groups.values():
            for _ in range(100):
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.groups = {}


def _near_limit(group: Path) -> bool:
    limit = int((group / "memory.limit_in_bytes").read_text())
    peak = int((group / "memory.max_usage_in_bytes").read_text())
    return peak >= 0.95 * limit


def _write(path: Path, text: str, quiet: bool = False) -> None:
    try:
        path.write_text(text)
    except OSError:
        if not quiet:
            raise


# -- polling, for when there is no memory cgroup ---------------------------------------------------
def rss_anon(pid: int) -> int:
    """Anonymous resident memory of ``pid`` in bytes (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            except OSError:
                continue
            found.extend(int(c) for c in text.split())
    except OSError:
        pass
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that are still its descendants."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children(current))
    return out


class RssWatch:
    """Kill a worker whose anonymous memory grows more than ``limit_mb`` past its start."""

    def __init__(self, pid: int, limit_mb: int):
        self.pid, self.limit = pid, limit_mb * 2**20
        self.base = rss_anon(pid)
        self.tripped = False

    def __call__(self) -> None:
        used = sum(rss_anon(p) for p in tree(self.pid)) - self.base
        if used > self.limit:
            self.tripped = True
            for p in tree(self.pid):
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass


# -- the judge's side ------------------------------------------------------------------------------
def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux), so none escapes a cleanup."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def kill_descendants(keep=()) -> int:
    """Kill every descendant of this process except ``keep`` (and theirs); reap them."""
    keep = set(keep)
    me = os.getpid()
    victims = [p for p in tree(me) if p != me]
    spared = set()
    for p in keep:
        spared.update(tree(p))
    count = 0
    for pid in victims:
        if pid in spared:
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            count += 1
        except OSError:
            pass
    reap()
    return count


def kill_user(uid: int) -> int:
    """Kill every process of ``uid`` (a dedicated worker user only)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                os.kill(int(entry), signal.SIGKILL)
                count += 1
        except OSError:
            pass
    return count


def reap() -> None:
    """Collect the exit status of this process's dead children that nobody waits for."""
    for pid in children(os.getpid()):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
