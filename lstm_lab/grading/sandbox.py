"""The worker's cage: whom it runs as, what it may read, how much it may take.

The judge decides a grade from data; the sandbox makes sure a submission cannot reach around
that data. What it can do depends on where the grader runs, so it is detected, and what was
applied is said in the grade's output (``Policy.describe``):

- **As root** (Gradescope), workers of an untrusted target drop to an unprivileged user: a
  dedicated ``lstm-lab-worker`` created with ``useradd`` when missing, else ``nobody``. The
  solutions and the hidden tests are made unreadable to it (``protect``), the target is staged in
  a copy it can read (``stage_target``), and the user cannot signal or trace the judge.
- **Memory**: a memory cgroup per worker inside the judge's own group, when this process's
  hierarchy is writable: cgroup v1 (``memory.limit_in_bytes``) or v2 (``memory.max``; how a v2
  group gets a controller with the judge's processes in it: ``host``); the kernel kills the
  worker at the limit. Otherwise ``RLIMIT_DATA`` in the worker plus the judge polling the
  worker's resident memory (``host.RssWatch``) and killing it past the limit.
- **Processes**: a cgroup ``pids.max`` (v1's pids hierarchy, or the same v2 group) when
  writable, ``RLIMIT_NPROC`` for a dedicated user; every process a worker leaves behind is killed
  when it stops (its process group, its cgroup, and — the judge being a child subreaper — its
  orphans).
- **Files**: ``RLIMIT_FSIZE`` bounds what a worker may write (its stderr log too), and
  ``RLIMIT_CORE`` is 0.
- **The kernel's choice**: a caged worker's ``oom_score_adj`` is 1000, so when a container runs
  out of memory before a worker reaches its own limit, the worker dies, not the judge, the zygote
  or the solutions' worker.

This module is the policy: what to apply, and the worker's side of it (``apply_child_limits``,
``drop_privileges``). What the machine has and the tools that apply it to processes (cgroups,
process trees, killing) are ``host``'s.

Trusted targets (the solutions) run without a cage: they are ours, and they must read
themselves. The grade command puts the policy in the ``sandbox`` setting so that every
``TargetProxy`` of the judge applies it; without that variable nothing is caged except the file
size and core limits.
"""

from __future__ import annotations

import json
import os
import pwd
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import host, settings

#: The dedicated user workers run as when the grader runs as root.
WORKER_USER = "lstm-lab-worker"
#: Defaults: memory per worker (MB), processes and threads per worker, largest file (MB).
DEFAULT_MEMORY_MB = 1024
DEFAULT_PROCESSES = 512
DEFAULT_FILE_MB = 256


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


# -- the policy ------------------------------------------------------------------------------------
@dataclass
class Policy:
    """What the judge applies to the workers of untrusted targets.

    ``user``/``uid``/``gid`` are set when workers drop privileges; ``memory`` is how the memory
    limit is enforced (``"cgroup"``, ``"rlimit+poll"`` or ``"none"``); ``pids`` whether a pids
    cgroup bounds processes; ``cgroup_version`` (1 or 2) the hierarchy of those cgroups, for the
    output (each ``host.Jail`` finds its own); ``notes`` what could not be applied.
    """

    enabled: bool = False
    user: str | None = None
    uid: int | None = None
    gid: int | None = None
    dedicated_user: bool = False
    memory_mb: int | None = DEFAULT_MEMORY_MB
    memory: str = "none"
    pids: bool = False
    cgroup_version: int | None = None
    processes: int = DEFAULT_PROCESSES
    file_mb: int = DEFAULT_FILE_MB
    protected: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Filesystem, network and signal confinement of the workers (``confine``): whether it
    #: applies, the Landlock ABI, how the network is cut, and why it does not apply when not.
    confined: bool = False
    landlock_abi: int = 0
    network: str = "none"
    unconfined_reason: str = ""

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
        confine: bool = True,
    ) -> Policy:
        """The strongest policy this process can apply.

        ``drop``: drop privileges (default: when root). ``cgroups``: use cgroups when writable
        (default: the ``cgroups`` setting, ``LSTM_LAB_SANDBOX_CGROUPS=0`` turns it off).
        ``confine``: confine the workers' files, network and signals (``lstm_lab.grading.
        confine``) where a trial in a forked child shows it works here.
        """
        policy = cls(enabled=True, memory_mb=memory_mb, processes=processes, file_mb=file_mb)
        drop = is_root() if drop is None else drop
        if drop and not is_root():
            policy.notes.append("workers run as you: dropping privileges needs root")
            drop = False
        if drop:
            policy._choose_user(confine)
        elif confine:
            policy._confine()
        if cgroups is None:
            cgroups = settings.current().cgroups
        if memory_mb:
            if cgroups and host.cgroup_usable("memory"):
                policy.memory = "cgroup"
                policy.cgroup_version = host.cgroup_version("memory")
            else:
                policy.memory = "rlimit+poll"
                policy.notes.append(
                    "memory limit by RLIMIT_DATA and polling (no writable cgroup memory "
                    "controller, v1 or v2)"
                )
        policy.pids = bool(cgroups and host.cgroup_usable("pids"))
        if policy.pids and policy.cgroup_version is None:
            policy.cgroup_version = host.cgroup_version("pids")
        return policy

    def _choose_user(self, confine: bool) -> None:
        """As root: the user workers drop to. With confinement, a private mount namespace shows
        that user the Python it needs (under /root on pyenv or conda hosts); without it, the
        user must be able to read Python as the machine stands, or the workers stay root."""
        user, uid, gid, dedicated = worker_user(self.notes)
        if confine and self._confine(uid, gid):
            self.user, self.uid, self.gid, self.dedicated_user = user, uid, gid, dedicated
            return
        blocked = unreadable_as(uid, gid, runtime_paths())
        if blocked is None:
            self.user, self.uid, self.gid, self.dedicated_user = user, uid, gid, dedicated
        else:
            self.notes.append(
                f"workers run as root: user {user} cannot read {blocked}, which Python needs "
                "(make the Python installation readable to all to let workers drop "
                "privileges)"
            )

    def _confine(self, uid: int | None = None, gid: int | None = None) -> bool:
        """Try the confinement a worker will apply (in a forked child); keep it if it works."""
        from . import confine

        status = confine.available()
        if not status:
            self.unconfined_reason = status.reason
            return False
        error = confine_trial(uid, gid)
        if error:
            self.unconfined_reason = error
            return False
        self.confined, self.landlock_abi = True, status.abi
        self.network = confine.detect_network(status.abi)
        return True

    @classmethod
    def from_settings(cls, chosen: settings.Settings | None = None) -> Policy:
        """The policy the grade set (the ``sandbox`` setting), or a disabled one."""
        data = (chosen or settings.current()).sandbox
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except TypeError:
            return cls()

    def to_dict(self) -> dict:
        """The policy as data, for the ``sandbox`` setting."""
        return asdict(self)

    # -- what it does ---------------------------------------------------------------------------
    @property
    def drops(self) -> bool:
        return self.enabled and self.uid is not None

    def describe(self) -> str:
        """What applies to the workers, for the grade's output: a first line that says whether
        they are confined, then what could not be applied."""
        if not self.enabled:
            return "unconfined: sandbox off (workers run as you, without limits)"
        text = "; ".join(self._parts())
        if self.confined:
            text = f"confined: {text}"
        elif self.drops:
            text = f"confined by user only (no landlock): {text}"
        else:
            text = f"unconfined: {text}"
        notes = list(self.notes)
        if not self.confined and self.unconfined_reason:
            notes.insert(0, f"no filesystem confinement: {self.unconfined_reason}")
        if notes:
            text += "\n" + "\n".join(f"sandbox note: {note}" for note in notes)
        return text

    def _parts(self) -> list[str]:
        from .confine import NETWORK

        parts = []
        if self.confined:
            scoped = ", signals scoped" if self.landlock_abi >= 6 else ""
            parts.append(f"landlock abi {self.landlock_abi}, {NETWORK[self.network]}{scoped}")
        if self.drops:
            parts.append(f"user {self.user} (uid {self.uid})")
        else:
            who = "root" if is_root() else "your user"
            parts.append(f"{who} without capabilities" if self.confined and is_root() else who)
        cgroup = f"cgroup v{self.cgroup_version}" if self.cgroup_version else "cgroup"
        if self.memory_mb:
            if self.memory == "cgroup":
                parts.append(f"{cgroup} memory {self.memory_mb} MB each")
            else:
                how = {"rlimit+poll": "RLIMIT_DATA and polling"}.get(self.memory, self.memory)
                parts.append(f"memory {self.memory_mb} MB each ({how})")
        if self.pids:
            limit = f"{cgroup} pids {self.processes} each"
        else:
            limit = f"RLIMIT_NPROC {self.processes}" if self.dedicated_user else "not limited"
        parts.append(f"processes: {limit}")
        parts.append(f"files up to {self.file_mb} MB")
        if self.protected:
            parts.append("unreadable to workers: " + ", ".join(self.protected))
        return parts

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
    """Targets that never run caged: the project's solutions, and the ``trusted`` setting."""
    paths = {str((Path(__file__).resolve().parents[2] / "solutions").resolve())}
    for item in settings.current().trusted.split(os.pathsep):
        if item:
            paths.add(str(Path(item).resolve()))
    return paths


def is_trusted(path) -> bool:
    return str(Path(path).resolve()) in trusted_paths()


# -- confinement -----------------------------------------------------------------------------
def confine_plan(target_dir, scratch_dir, policy: Policy) -> str | None:
    """The confinement plan (JSON) of a worker of ``target_dir`` writing in ``scratch_dir``, or
    ``None`` when the policy confines nothing."""
    if not policy.confined:
        return None
    from . import confine

    drops = policy.drops
    made = confine.plan(
        target_dir,
        scratch_dir,
        uid=policy.uid if drops else None,
        gid=policy.gid if drops else None,
        network=policy.network,
    )
    return made.to_json()


def confine_trial(uid: int | None, gid: int | None) -> str | None:
    """Confine a forked child as a worker would be (dropping to ``uid`` when given) and have it
    read its Python; ``None`` when that worked, else what went wrong."""
    from . import confine

    with tempfile.TemporaryDirectory(prefix="lstm_lab_trial_") as scratch:
        os.chmod(scratch, 0o755)
        if uid is not None:
            os.chown(scratch, uid, gid)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(r)
            message = b""
            try:
                plan = confine.plan(scratch, scratch, uid=uid, gid=gid)
                line = confine.enter(plan, uid, gid)
                if uid is not None and os.getuid() != uid:
                    raise confine.ConfinementError(f"could not drop to uid {uid}: {line}")
                with open(os.__file__, "rb") as handle:
                    handle.read(1)
                Path(scratch, "probe").write_text("ok")
            except BaseException as exc:  # noqa: BLE001 - reported to the judge
                message = f"{type(exc).__name__}: {exc}".encode()[:2000]
            os.write(w, message)
            os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
    return data.decode(errors="replace") or None


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
    """The first of ``paths`` that user ``uid`` cannot read, or ``None`` (``confine.unreadable_by``,
    tried in a forked child as that user)."""
    from .confine import unreadable_by

    blocked = unreadable_by(uid, gid, list(paths))
    return blocked[0] if blocked else None


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
    """A copy of the target that the worker's user can read (when privileges drop or workers
    are confined).

    The copy holds the target's Python files and folders (no caches), owned by the judge and
    readable to all, so the worker can import it whatever the submission's permissions were —
    and cannot change what later calls import; a confined worker may read it and nothing else
    of the submission's surroundings.
    """
    path = Path(path)
    if not (policy.drops or policy.confined):
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
