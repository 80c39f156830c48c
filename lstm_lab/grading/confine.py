"""Confinement a grading worker applies to itself before it runs any target code.

The judge builds a ``Plan`` (``plan()``: what a worker may read, where it may write) and sends it
as JSON; the worker calls ``enter(plan, uid, gid)``, which takes these steps in the only order
that works (each may also be called alone):

1. ``private_mounts`` (root): a private mount namespace where each of ``plan.masks`` (/root,
   /home, /tmp, /run, /dev/shm, the checkout that holds solutions/ and tests/, any folder closed
   to the worker's user) is an empty tmpfs with only the plan's paths bound back at their own
   paths; then every mount is read-only and nosuid but scratch. The worker's user can then import
   a Python under /root (mode 700); pathname Unix sockets (tmux, D-Bus) are gone; and a worker
   that stays root cannot chmod root's files (EROFS), which Landlock does not govern.
2. ``isolate_network``: as root a new network namespace (not even the host's 127.0.0.1); else a
   new user+network namespace where users may make one; else Landlock's TCP rules alone.
3. setuid to the worker's user if it can read the plan (``unreadable_by``); if not, the worker
   stays uid 0 with no capabilities at all, never root with capabilities.
4. ``apply``: no_new_privs; for uid 0 or a holder of capabilities, empty capability sets
   (bounding and ambient too) and locked securebits NOROOT|NO_SETUID_FIXUP, so that exec of a
   setuid-root binary regains nothing; then Landlock (``restrict``).

Landlock handles every filesystem right of the kernel's ABI (REFER from 2, TRUNCATE from 3,
IOCTL_DEV from 5), TCP bind and connect from ABI 4 with no port allowed, and from ABI 6 the scopes
ABSTRACT_UNIX_SOCKET and SIGNAL: no signal reaches a process outside the worker's domain, so
``kill(-1, SIGKILL)`` misses the judge and other grades' workers though they share its uid. Its
ptrace rule keeps /proc/<judge>/mem, environ, cwd, root and fd out of reach while /proc stays
readable (TensorFlow reads /proc/cpuinfo). File descriptors opened before stay usable: the caller
closes them. Rights of ABIs after 7 are unknown here, so unhandled (allowed) until added.

The binding is this module's ctypes layer over syscalls 444-446 (x86_64, aarch64 and riscv64
share them, and open_tree 428, move_mount 429, mount_setattr 442). PyPI's ``landlock`` knows no
TRUNCATE, IOCTL_DEV, TCP or scopes; ``landlockpy`` (pure Python, one maintainer) drops unknown
rights silently and leaves prctl, capset, unshare and mounts to us anyway. The syscalls are a
stable, versioned interface: no dependency, and every failure raises ``ConfinementError``.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import stat
import sys
import sysconfig
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

#: ``LSTM_LAB_LANDLOCK=0`` makes Landlock count as unavailable (tests of the refusal use it).
ENV = "LSTM_LAB_LANDLOCK"
#: Folders beside the package that a worker must never read.
HIDDEN_NAMES = ("solutions", "tests")
#: What Python, NumPy and TensorFlow read outside the Python installation (checked with strace):
#: the loader's cache, zone info, users' names, CPU counts; /usr holds libc and the locale.
SYSTEM_READ = (
    "/usr", "/lib", "/lib64", "/lib32", "/bin", "/proc", "/sys/devices/system/cpu",
    "/dev/urandom", "/dev/random", "/dev/zero", "/etc/ld.so.cache", "/etc/ld.so.preload",
    "/etc/localtime", "/etc/timezone", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
    "/etc/hosts", "/etc/host.conf", "/etc/mime.types", "/etc/fonts",
)  # fmt: skip
SYSTEM_WRITE = ("/dev/null",)
#: Folders a root worker replaces by an empty tmpfs (see ``private_mounts``).
DEFAULT_MASKS = ("/root", "/home", "/tmp", "/var/tmp", "/run", "/dev/shm")
NETWORK = {  # plan.network: what describe() says of it
    "netns": "no network (network namespace)", "userns": "no network (user+network namespace)",
    "landlock": "no TCP (landlock; UDP open)", "none": "network open",
}  # fmt: skip


class ConfinementError(RuntimeError):
    """A confinement step failed: the caller must not run target code (it fails closed)."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.errno = code


class Unavailable(ConfinementError):
    """A step could not start, and nothing was changed: the caller may fall back."""


# -- the kernel interface --------------------------------------------------------------------------
_SYSCALLS = dict(create_ruleset=444, add_rule=445, restrict_self=446)
_SYSCALLS.update(open_tree=428, move_mount=429, mount_setattr=442)
_ARCHES = ("x86_64", "aarch64", "riscv64")
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

FS_RIGHTS = (  # (name, bit, first ABI)
    ("execute", 0, 1), ("write_file", 1, 1), ("read_file", 2, 1), ("read_dir", 3, 1),
    ("remove_dir", 4, 1), ("remove_file", 5, 1), ("make_char", 6, 1), ("make_dir", 7, 1),
    ("make_reg", 8, 1), ("make_sock", 9, 1), ("make_fifo", 10, 1), ("make_block", 11, 1),
    ("make_sym", 12, 1), ("refer", 13, 2), ("truncate", 14, 3), ("ioctl_dev", 15, 5),
)  # fmt: skip
_BIT = {name: 1 << bit for name, bit, _ in FS_RIGHTS}
READ_RIGHTS = _BIT["execute"] | _BIT["read_file"] | _BIT["read_dir"]
FILE_RIGHTS = sum(_BIT[n] for n in ("execute", "write_file", "read_file", "truncate", "ioctl_dev"))
#: Not granted even in scratch: running files it wrote, making device nodes, device ioctls.
NOT_IN_SCRATCH = _BIT["execute"] | _BIT["make_char"] | _BIT["make_block"] | _BIT["ioctl_dev"]
NET_TCP = 0b11  # LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP (ABI 4)
SCOPES = 0b11  # LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL (ABI 6)

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x20000, 0x10000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 16384, 1 << 18
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID = 1, 2
AT_FDCWD, AT_RECURSIVE, OPEN_TREE_CLONE, MOVE_MOUNT_F_EMPTY_PATH = -100, 0x8000, 1, 4
PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 3, 4, 24, 28
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 38, 47
CAP_SETPCAP = 8
#: NOROOT, NO_SETUID_FIXUP, KEEP_CAPS (off), NO_CAP_AMBIENT_RAISE: each set and locked.
SECUREBITS = 0b11101111


#: The other structs are arrays of one type: landlock_ruleset_attr (u64 handled_access_fs,
#: handled_access_net, scoped), mount_attr (u64 attr_set, attr_clr, propagation, userns_fd),
#: the capability header (u32 version, pid) and data (2 x u32 effective, permitted, inheritable).
class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _call(result: int, what: str) -> int:
    """``result`` of a libc call, or a ``ConfinementError`` that names the call and errno."""
    if result == -1:
        code = ctypes.get_errno()
        raise ConfinementError(f"{what}: {os.strerror(code)} ({errno.errorcode.get(code)})", code)
    return result


def _syscall(name: str, *args, what: str) -> int:
    args = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    return _call(_libc.syscall(ctypes.c_long(_SYSCALLS[name]), *args), what)


def _prctl(option: int, value: int, what: str) -> None:
    _call(_libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({what})")


# -- is Landlock there? ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Availability:
    """Landlock's ABI here (0 when it cannot be used) and why, in words; true when usable."""

    abi: int
    reason: str

    def __bool__(self) -> bool:
        return self.abi > 0


def _switched_off() -> bool:
    """The ``landlock`` setting is 0 (read as JSON: this module stands alone, without NumPy)."""
    try:
        chosen = json.loads(os.environ.get("LSTM_LAB_SETTINGS") or "{}").get("landlock")
    except (ValueError, AttributeError):
        chosen = None
    return os.environ.get(ENV, "").strip() == "0" or chosen is False


def available() -> Availability:
    if _switched_off():
        return Availability(0, f"disabled by {ENV}=0")
    if sys.platform != "linux" or platform.machine() not in _ARCHES:
        return Availability(0, f"Landlock is not known here ({sys.platform} {platform.machine()})")
    abi = _libc.syscall(ctypes.c_long(444), None, ctypes.c_long(0), ctypes.c_long(1))
    if abi >= 1:
        return Availability(int(abi), f"landlock abi {abi}")
    if ctypes.get_errno() == errno.EOPNOTSUPP:
        return Availability(0, "Landlock is disabled at boot (the lsm= list lacks landlock)")
    return Availability(0, "Landlock not supported by this kernel (needs Linux 5.13 or later)")


def landlock_abi() -> int:
    """The ABI that ``landlock_create_ruleset(NULL, 0, VERSION)`` reports; 0 when unusable."""
    return available().abi


def fs_rights(abi: int) -> int:
    """Every filesystem right ABI ``abi`` knows: all of them are handled (denied unless ruled)."""
    return sum(1 << bit for _, bit, first in FS_RIGHTS if abi >= first)


def right_names(mask: int) -> str:
    return "|".join(name for name, bit, _ in FS_RIGHTS if mask >> bit & 1) or "nothing"


# -- the plan --------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What a worker may touch (built by ``plan()``): ``read`` (read and execute beneath),
    ``write`` (scratch and /dev/null), ``abi`` (0: unavailable, ``reason`` says why), ``network``
    (a key of ``NETWORK``), ``masks`` (hidden by ``private_mounts``, root only), ``hidden``
    (what must stay out of reach: checked against read and write)."""

    read: list[str]
    write: list[str]
    abi: int = 0
    reason: str = ""
    network: str = "none"
    masks: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the grade summary, e.g. ``landlock abi 7, no network (...)``."""
        if not self.abi:
            return f"landlock unavailable ({self.reason}), {NETWORK[self.network]}"
        parts = [f"landlock abi {self.abi}", NETWORK[self.network]]
        parts.append("signals scoped" if self.abi >= 6 else "signals not scoped (abi < 6)")
        if self.masks:
            parts.append(f"{len(self.masks)} folders masked")
        return ", ".join(parts)

    def rules(self) -> str:
        """Every rule, one per line, for a test or a debugging judge to print."""
        fs = fs_rights(self.abi)

        def rights(path, mask):
            return right_names(mask & fs & (~0 if os.path.isdir(path) else FILE_RIGHTS))

        lines = [self.describe()]
        lines += [f"read   {p}  ({rights(p, READ_RIGHTS)})" for p in self.read]
        lines += [f"write  {p}  ({rights(p, ~NOT_IN_SCRATCH)})" for p in self.write]
        lines += [f"mask   {p}  (empty tmpfs, plan paths bound back)" for p in self.masks]
        lines += [f"hidden {p}" for p in self.hidden]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """The plan ``to_json`` wrote; a ``ConfinementError`` names any field that is wrong."""
        data = json.loads(text)
        keys = set(data) if isinstance(data, dict) else set()
        wrong = (keys - {f.name for f in fields(cls)}) | ({"read", "write"} - keys)
        if wrong:
            raise ConfinementError(f"Plan.from_json: unknown or missing fields {sorted(wrong)}")
        for name in ("read", "write", "masks", "hidden"):
            value = data.get(name, [])
            if not isinstance(value, list) or not all(os.path.isabs(str(p)) for p in value):
                raise ConfinementError(f"Plan.from_json: {name} must be a list of absolute paths")
        if not isinstance(data.get("abi", 0), int) or data.get("network", "none") not in NETWORK:
            raise ConfinementError(f"Plan.from_json: abi must be an int, network one of {NETWORK}")
        return cls(**data)


def _beneath(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _inside(path: str, tops) -> bool:
    return any(_beneath(path, top) for top in tops)


def _topmost(paths) -> list[str]:
    """Resolved, existing ``paths`` with those beneath another one dropped (one rule covers)."""
    kept: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths if os.path.exists(p)}, key=len):
        if not any(_beneath(path, top) for top in kept):
            kept.append(path)
    return sorted(kept)


def python_paths() -> list[str]:
    """The Python installation: prefixes, the interpreter's folder, site-packages, the stdlib."""
    paths = [sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths.append(os.path.dirname(os.path.realpath(sys.executable)))
    stdlib = [os.path.realpath(sysconfig.get_path(k)) for k in ("stdlib", "platstdlib")]
    for entry in sys.path:
        real = os.path.realpath(entry) if entry else ""
        parts = Path(real).parts
        if "site-packages" in parts or "dist-packages" in parts or _inside(real, stdlib):
            paths.append(real)
    return paths


def plan(
    target_dir,
    scratch_dir,
    package_dir=None,
    extra_read=(),
    *,
    uid: int | None = None,
    gid: int | None = None,
    network: str | None = None,
) -> Plan:
    """The plan for a worker of ``target_dir`` that writes only in ``scratch_dir``.

    ``package_dir`` (lstm_lab itself by default) is readable, its parent folder is not: that
    folder holds solutions/ and the hidden tests. ``uid``/``gid``: the user the worker will drop
    to, so that a root judge also masks the folders that keep that user from its Python.
    """
    for name, value in (("target_dir", target_dir), ("scratch_dir", scratch_dir)):
        if not os.path.isdir(value):
            raise ConfinementError(f"plan: {name} {str(value)!r} is not a folder")
    package = Path(package_dir or Path(__file__).resolve().parents[1]).resolve()
    installed = {"site-packages", "dist-packages"} & set(package.parts)  # no checkout around it
    hidden = [str(package.parent / n) for n in HIDDEN_NAMES if (package.parent / n).exists()]
    hidden = [] if installed else hidden
    read = _topmost([*python_paths(), package, target_dir, *SYSTEM_READ, *extra_read])
    write = _topmost([scratch_dir, *SYSTEM_WRITE])
    _check_hidden(read, write, hidden)
    status = available()
    masks: list[str] = []
    if os.geteuid() == 0:
        blocked = blocking_dirs(uid, gid, read + write) if uid is not None else []
        tops = [*blocked, *DEFAULT_MASKS, *([str(package.parent)] if hidden else [])]
        masks = [m for m in _topmost(tops) if m != "/" and not _inside(m, read + write)]
    reason = "" if status else status.reason
    net = network or detect_network(status.abi)
    return Plan(read, write, status.abi, reason, net, masks, hidden)


def _check_hidden(read, write, hidden) -> None:
    for kind, paths in (("read", read), ("write", write)):
        for path in paths:
            for secret in hidden:
                if _beneath(secret, path) or _beneath(path, secret):
                    raise ConfinementError(
                        f"plan: {kind} path {path!r} overlaps {secret!r}, which a worker must "
                        "never reach (rule: the package's parent folder holds the solutions and "
                        "the hidden tests; allow the package folder, not its parent)"
                    )


def blocking_dirs(uid: int, gid: int, paths) -> list[str]:
    """For each path, the topmost folder above it that ``uid`` may not enter (mode bits only)."""
    found = []
    for path in paths:
        for parent in reversed(Path(path).parents):
            info = os.stat(parent)
            shift = 6 if info.st_uid == uid else 3 if info.st_gid == gid else 0
            if not (info.st_mode >> shift) & 1:
                found.append(str(parent))
                break
    return sorted(set(found))


def detect_network(abi: int) -> str:
    """How a worker will be kept off the network here (probed in forked children)."""
    if os.geteuid() == 0 and _probe(CLONE_NEWNET):
        return "netns"
    if _probe(CLONE_NEWUSER | CLONE_NEWNET):
        return "userns"
    return "landlock" if abi >= 4 else "none"


def _probe(flags: int) -> bool:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child only tries the call
        os._exit(0 if _libc.unshare(flags) == 0 else 1)
    return os.waitpid(pid, 0)[1] == 0


# -- in the worker ---------------------------------------------------------------------------------
#: Steps already taken in this process (inherited by its forks, as their effect is).
_done: dict[str, str] = {}


def _one_thread(step: str) -> None:
    tasks = os.listdir("/proc/self/task")
    if len(tasks) != 1:
        raise ConfinementError(
            f"{step}: {len(tasks)} threads run here; namespaces, no_new_privs, capabilities and "
            "Landlock bind the calling thread only (rule: confine before any thread starts; "
            "NumPy's OpenBLAS starts a pool at import unless OPENBLAS_NUM_THREADS=1)"
        )


def apply(plan: Plan) -> str:
    """Confine this process for good; return one line saying what applied.

    Call it after the rlimits and /proc writes (oom_score_adj), after ``private_mounts`` and the
    drop to the worker's user, before any thread starts and before any target code.
    """
    _one_thread("apply")
    live = landlock_abi()
    if not plan.abi or live < plan.abi:
        why = plan.reason or available().reason if not plan.abi else f"the kernel has abi {live}"
        raise ConfinementError(f"apply: Landlock abi {plan.abi} unavailable ({why}); refusing")
    isolate_network(plan)
    _prctl(PR_SET_NO_NEW_PRIVS, 1, "PR_SET_NO_NEW_PRIVS")
    caps = _capabilities()
    dropped = os.getuid() == 0 or os.geteuid() == 0 or any(caps[k] for k in caps if k != "CapBnd")
    if dropped:
        drop_capabilities()
    out = restrict(plan)
    who = "uid 0 without capabilities" if os.getuid() == 0 else f"uid {os.getuid()}"
    unreached = f", {len(out)} read paths out of its reach" if out else ""
    return f"{plan.describe()}, no_new_privs, {who}{unreached}"


def restrict(plan: Plan) -> list[str]:
    """``landlock_restrict_self`` with every right of ``plan.abi`` handled, the plan's allowed.

    Returns the read paths this process could not even reach (a folder on the way is closed to
    its user): their rule is left out, which takes access away and never adds any.
    """
    fs = fs_rights(plan.abi)
    attr = (ctypes.c_uint64 * 3)(fs, NET_TCP * (plan.abi >= 4), SCOPES * (plan.abi >= 6))
    size = 8 if plan.abi < 4 else 16 if plan.abi < 6 else 24
    what = f"landlock_create_ruleset(abi {plan.abi}, fs {right_names(fs)})"
    ruleset = _syscall("create_ruleset", attr, size, 0, what=what)
    try:
        out = [p for p in plan.read if not _add_rule(ruleset, p, READ_RIGHTS & fs, "read")]
        for path in plan.write:
            _add_rule(ruleset, path, fs & ~NOT_IN_SCRATCH, "write")
        _syscall("restrict_self", ruleset, 0, what="landlock_restrict_self")
    finally:
        os.close(ruleset)
    return out


def _add_rule(ruleset: int, path: str, rights: int, kind: str) -> bool:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.EACCES and kind == "read":
            return False
        raise ConfinementError(f"{kind} path {path!r}: cannot open it ({exc.strerror})") from exc
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FILE_RIGHTS
        rule = _PathBeneath(rights, fd)
        what = f"landlock_add_rule({kind} {path!r}: {right_names(rights)})"
        _syscall("add_rule", ruleset, 1, ctypes.byref(rule), 0, what=what)
    finally:
        os.close(fd)
    return True


def _capabilities() -> dict[str, int]:
    with open("/proc/self/status") as status:
        lines = [line.split(":") for line in status if line.startswith("Cap")]
    return {key: int(value, 16) for key, value in lines}


def drop_capabilities() -> None:
    """Leave this process no capability, now or after any exec (uid 0 included)."""
    if _capabilities()["CapEff"] >> CAP_SETPCAP & 1:
        _prctl(PR_SET_SECUREBITS, SECUREBITS, "PR_SET_SECUREBITS NOROOT|NO_SETUID_FIXUP locked")
        _drop_bounding()
    _call(_libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0), "prctl(PR_CAP_AMBIENT_CLEAR_ALL)")
    header, data = (ctypes.c_uint32 * 2)(0x20080522, 0), (ctypes.c_uint32 * 6)()
    _call(_libc.capset(header, data), "capset(effective=permitted=inheritable=0)")
    left = {k: v for k, v in _capabilities().items() if v}
    if left and (set(left) != {"CapBnd"} or os.getuid() == 0):
        raise ConfinementError(
            f"drop_capabilities: {left} remain (rule: a worker that stays uid 0 keeps no "
            "capability, bounding set included, which needs CAP_SETPCAP)"
        )


def _drop_bounding() -> None:
    for cap in range(int(Path("/proc/sys/kernel/cap_last_cap").read_text()) + 1):
        _prctl(PR_CAPBSET_DROP, cap, f"PR_CAPBSET_DROP {cap}")


def isolate_network(plan: Plan) -> str:
    """Take this process off the network as ``plan.network`` says; once per process."""
    if "network" in _done:
        return _done["network"]
    if plan.network == "netns":
        what = "unshare(CLONE_NEWNET) (plan.network 'netns' is made as root, before setuid)"
        _call(_libc.unshare(CLONE_NEWNET), what)
    elif plan.network == "userns":
        uid, gid = os.getuid(), os.getgid()
        _call(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNET), "unshare(CLONE_NEWUSER|CLONE_NEWNET)")
        # After a setuid the process is not dumpable, and its /proc/self files are root's.
        dumpable = _libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)
        _prctl(PR_SET_DUMPABLE, 1, "PR_SET_DUMPABLE 1, to write this process's id maps")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
            Path(f"/proc/self/{name}").write_text(text)
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        _prctl(PR_SET_DUMPABLE, dumpable, f"PR_SET_DUMPABLE {dumpable}")
    _done["network"] = plan.network
    return plan.network


def private_mounts(plan: Plan) -> None:
    """As root: a private mount namespace with ``plan.masks`` hidden, all read-only but scratch.

    Raises ``Unavailable`` when no namespace can be made (nothing changed: fall back), and
    ``ConfinementError`` when a later step fails (this process's view is then unusable).
    """
    if "mounts" in _done:
        return
    try:
        if os.geteuid() != 0:
            raise ConfinementError("private_mounts: needs root", errno.EPERM)
        _call(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    except ConfinementError as exc:
        raise Unavailable(str(exc), exc.errno) from exc
    _call(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount(/, MS_REC|MS_PRIVATE)")
    umask = os.umask(0o022)  # mount points that the worker's user may pass
    kept = plan.read + plan.write
    for mask in sorted(plan.masks, key=len):
        _mask(mask, _topmost(p for p in kept if _beneath(p, mask) and p != mask))
    writable = [p for p in plan.write if os.path.isdir(p)]
    for path in writable:  # each its own mount, so that it alone can stay writable
        _move_tree(_open_tree(path), path)
    _setattr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0)
    for path in writable:
        _setattr(path, 0, 0, MOUNT_ATTR_RDONLY)
    os.umask(umask)
    try:
        os.chdir(os.getcwd())  # the folder as the new mounts show it
    except OSError:
        pass
    _done["mounts"] = "private"


def _mask(mask: str, keep: list[str]) -> None:
    trees = [(path, _open_tree(path)) for path in keep]  # before the tmpfs hides them
    what = f"mount tmpfs over mask {mask!r}"
    _call(_libc.mount(b"tmpfs", mask.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=755"), what)
    for path, tree in trees:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        if stat.S_ISDIR(os.fstat(tree).st_mode):
            os.makedirs(path, mode=0o755, exist_ok=True)
        else:
            open(path, "a").close()
        _move_tree(tree, path)


def _open_tree(path: str) -> int:
    flags = OPEN_TREE_CLONE | AT_RECURSIVE | os.O_CLOEXEC
    return _syscall("open_tree", AT_FDCWD, path.encode(), flags, what=f"open_tree({path!r})")


def _move_tree(tree: int, path: str) -> None:
    try:
        args = (tree, b"", AT_FDCWD, path.encode(), MOVE_MOUNT_F_EMPTY_PATH)
        _syscall("move_mount", *args, what=f"move_mount(onto {path!r})")
    finally:
        os.close(tree)


def _setattr(path: str, flags: int, on: int, off: int) -> None:
    attr, what = (ctypes.c_uint64 * 4)(on, off, 0, 0), f"mount_setattr({path!r}, {on}, {off})"
    _syscall("mount_setattr", AT_FDCWD, path.encode(), flags, attr, 32, what=what)


def unreadable_by(uid: int, gid: int, paths) -> list[str]:
    """Those of ``paths`` that user ``uid`` cannot open (tried in a forked child, as that user)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        blocked = list(paths)
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            blocked = [p for p in paths if not _opens(p)]
        finally:
            os.write(w, json.dumps(blocked).encode())
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data or b'["(the check failed)"]')


def _opens(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path) else 0)))
        return True
    except OSError:
        return False


def enter(plan: Plan, uid: int | None = None, gid: int | None = None) -> str:
    """Every step in order (mounts, network, setuid, ``apply``); one line of what applied.

    As root with ``uid``: private mounts, then the drop to ``uid``/``gid`` if it can read every
    path of the plan, else the worker stays uid 0 without capabilities (and says why).
    """
    _one_thread("enter")
    notes = []
    root = os.geteuid() == 0
    if root and plan.masks:
        try:
            private_mounts(plan)
            notes.append("private mounts")
        except Unavailable as exc:
            notes.append(f"no private mounts ({exc})")
    if root and uid is not None:
        blocked = unreadable_by(uid, gid if gid is not None else uid, plan.read)
        if blocked:
            notes.append(f"stays root: uid {uid} cannot read {blocked[0]}")
            uid = None
    isolate_network(plan)
    if root and uid is not None:
        _drop_bounding()  # setuid clears the other sets; this one would stay full
        os.setgroups([])
        os.setgid(gid if gid is not None else uid)
        os.setuid(uid)
    return ", ".join([apply(plan), *notes])
