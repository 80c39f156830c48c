"""Attacks on a confined worker (``lstm_lab.grading.confine``), each one tried for real.

Every attack runs in a child (forked, or a fresh interpreter where imports matter) that confines
itself and then tries; where it is safe, the same attack first runs unconfined and must succeed,
so that a test can fail. The children that stay root are uid 0 without capabilities: the file
permissions cannot stop them, only the confinement can.
"""

from __future__ import annotations

import errno
import glob
import json
import os
import pwd
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lstm_lab.grading import confine

ABI = confine.landlock_abi()
ROOT = os.geteuid() == 0
needs_landlock = pytest.mark.skipif(ABI < 1, reason=f"needs Landlock: {confine.available().reason}")
needs_tcp_rules = pytest.mark.skipif(
    ABI < 4, reason=f"needs Landlock ABI 4 (TCP), kernel has {ABI}"
)
needs_scopes = pytest.mark.skipif(
    ABI < 6, reason=f"needs Landlock ABI 6 (scopes), kernel has {ABI}"
)
needs_root = pytest.mark.skipif(not ROOT, reason="needs root (setuid, mount namespaces)")
#: The confine module, loaded from its file in children that must import NumPy after confining
#: (importing ``lstm_lab`` would import NumPy, and start OpenBLAS's threads, first).
CONFINE_FILE = confine.__file__
CHILD_TIMEOUT = 120


# -- children --------------------------------------------------------------------------------------
def in_child(action, timeout: float = CHILD_TIMEOUT):
    """Run ``action()`` in a forked child; return what it returned (JSON), raise what it raised."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(r)
        try:
            out = {"ok": action()}
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            out = {"error": f"{type(exc).__name__}: {exc}"}
        data = json.dumps(out).encode()
        while data:
            data = data[os.write(w, data) :]
        os._exit(0)
    os.close(w)
    data = _read_until_eof(r, pid, timeout)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child status {status}"
    out = json.loads(data)
    if "error" in out:
        raise AssertionError(f"in the child: {out['error']}")
    return out["ok"]


def _read_until_eof(fd: int, pid: int, timeout: float) -> bytes:
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"the child did not answer within {timeout} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def attempt(action) -> str:
    """``ok ...`` if ``action()`` worked, else ``denied`` and the error (attacks report this)."""
    try:
        result = action()
    except OSError as exc:
        return f"denied {errno.errorcode.get(exc.errno, exc.errno)}"
    except Exception as exc:  # noqa: BLE001 - sqlite3 and friends raise their own types
        return f"denied {type(exc).__name__}"
    return f"ok {result!r}"[:300]


def confined(plan: confine.Plan, attacks: dict) -> dict:
    """Confine (``apply``: this process stays uid 0, without capabilities), then attack."""
    line = confine.apply(plan)
    return {"applied": line, **{name: attempt(act) for name, act in attacks.items()}}


def unconfined(attacks: dict) -> dict:
    return {name: attempt(act) for name, act in attacks.items()}


def denied(results: dict, names) -> dict:
    """The attacks among ``names`` that were not denied (an empty dict is a pass)."""
    return {n: results[n] for n in names if not results[n].startswith("denied")}


# -- a checkout to attack --------------------------------------------------------------------------
@pytest.fixture
def layout(tmp_path):
    """A fake checkout: a package, the solutions beside it (with a secret), a target, scratch."""
    package = tmp_path / "checkout" / "lstm_lab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    secret = tmp_path / "checkout" / "solutions" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("the reference answer")
    target = tmp_path / "target"
    target.mkdir()
    (target / "ex01_lifecycle.py").write_text("ANSWER = 42\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    plan = confine.plan(target, scratch, package_dir=package)
    return {"plan": plan, "secret": secret, "target": target, "scratch": scratch, "top": tmp_path}


# -- the plan --------------------------------------------------------------------------------------
def test_the_plan_round_trips_through_json_and_describes_itself_in_one_line(layout):
    plan = layout["plan"]
    print(plan.rules())
    again = confine.Plan.from_json(plan.to_json())
    assert again == plan
    assert "\n" not in plan.describe()
    assert plan.describe().startswith(f"landlock abi {ABI}," if ABI else "landlock unavailable")
    checkout = str(layout["secret"].parents[1])
    assert checkout not in plan.read, "the package's parent folder holds the solutions"
    assert str(layout["secret"].parent) in plan.hidden
    assert str(layout["target"]) in plan.read and str(layout["scratch"]) in plan.write
    with pytest.raises(confine.ConfinementError, match="'sneaky'"):
        confine.Plan.from_json(json.dumps({**json.loads(plan.to_json()), "sneaky": 1}))
    with pytest.raises(confine.ConfinementError, match="read must be a list of absolute paths"):
        confine.Plan.from_json(json.dumps({**json.loads(plan.to_json()), "read": ["etc"]}))


def test_a_plan_that_would_reach_the_solutions_is_refused(layout):
    package = layout["secret"].parents[1] / "lstm_lab"
    with pytest.raises(confine.ConfinementError, match="overlaps .*solutions.*allow the package"):
        confine.plan(layout["target"], layout["scratch"], package, extra_read=[package.parent])
    with pytest.raises(confine.ConfinementError, match="scratch_dir"):
        confine.plan(layout["target"], layout["top"] / "missing", package)


def test_without_landlock_the_worker_refuses_to_run(layout, monkeypatch):
    monkeypatch.setenv(confine.ENV, "0")
    status = confine.available()
    assert not status and status.reason == "disabled by LSTM_LAB_LANDLOCK=0"
    assert confine.landlock_abi() == 0
    package = layout["secret"].parents[1] / "lstm_lab"
    plan = confine.plan(layout["target"], layout["scratch"], package_dir=package)
    assert plan.describe().startswith("landlock unavailable (disabled by LSTM_LAB_LANDLOCK=0)")
    with pytest.raises(AssertionError, match="ConfinementError: apply: Landlock abi 0 unavai"):
        in_child(lambda: confine.apply(plan))


def test_apply_refuses_a_process_with_threads(layout):
    """Landlock binds the calling thread only: a second thread would stay free."""
    import threading

    gate = threading.Event()
    helper = threading.Thread(target=gate.wait)
    helper.start()
    try:
        with pytest.raises(confine.ConfinementError, match="threads run here"):
            confine.apply(layout["plan"])
    finally:
        gate.set()
        helper.join()


# -- reading ---------------------------------------------------------------------------------------
@needs_landlock
@needs_root
def test_reading_outside_the_plan_fails_by_every_path(layout, monkeypatch):
    secret, top = layout["secret"], layout["top"]
    monkeypatch.chdir(secret.parent)  # the judge's working folder holds the secret
    judge = os.getpid()
    held = os.open(secret, os.O_RDONLY)  # opened before: Landlock does not close it (caller does)
    attacks = {
        "direct": lambda: secret.read_text(),
        "glob from the top": lambda: glob.glob(f"{top}/**/secret.txt", recursive=True),
        "glob from /": lambda: glob.glob("/**/secret.txt", recursive=True),
        "judge's cwd": lambda: Path(f"/proc/{judge}/cwd/secret.txt").read_text(),
        "judge's root": lambda: Path(f"/proc/{judge}/root{secret}").read_text(),
        "judge's environ": lambda: Path(f"/proc/{judge}/environ").read_bytes()[:20],
        "judge's mem": lambda: open(f"/proc/{judge}/mem", "rb").close(),
        "judge's fd": lambda: Path(f"/proc/{judge}/fd/{held}").read_text(),
    }
    try:
        before = in_child(lambda: unconfined({k: v for k, v in attacks.items() if "/" not in k}))
        after = in_child(lambda: {**confined(layout["plan"], attacks), "held": _read_fd(held)})
    finally:
        os.close(held)
    print(json.dumps(after, indent=1))
    assert all(v.startswith("ok") and "secret" not in v[:6] for v in before.values()), before
    assert str(secret) in before["glob from the top"] and "reference" in before["direct"]
    leaks = {k: v for k, v in after.items() if k in attacks and "secret.txt" in v}
    assert leaks == {}
    assert denied(after, [k for k in attacks if "glob" not in k]) == {}
    assert after["held"] == "the reference answer", "an fd opened before stays readable"


def _read_fd(fd: int) -> str:
    return os.pread(fd, 100, 0).decode()


@needs_landlock
@needs_root
def test_the_worker_runs_with_no_capability_even_after_exec(layout):
    grep = ["/usr/bin/grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"]

    def status():
        text = subprocess.run(grep, capture_output=True, text=True, check=True).stdout
        return dict(line.split(":\t") for line in text.splitlines())

    before = in_child(status)
    after = in_child(lambda: (confine.apply(layout["plan"]), status())[1])
    assert int(before["CapEff"], 16) != 0, "root's exec of grep regains capabilities unconfined"
    assert {k: int(v, 16) for k, v in after.items()} == {
        "CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0, "NoNewPrivs": 1
    }  # fmt: skip


# -- writing ---------------------------------------------------------------------------------------
@needs_landlock
@needs_root
def test_writing_outside_scratch_fails_and_inside_works(layout):
    target, scratch, top = layout["target"], layout["scratch"], layout["top"]
    in_tmp = Path(tempfile.gettempdir()) / f"lstm-lab-confine-{os.getpid()}-results.json"
    module = target / "ex01_lifecycle.py"
    attacks = {
        "results.json in /tmp": lambda: in_tmp.write_text("{}"),
        "results.json beside": lambda: (top / "results.json").write_text('{"score": 100}'),
        "a .db": lambda: sqlite3.connect(top / "grades.db").execute("create table t (x)"),
        "truncate the target": lambda: os.truncate(module, 0),
        "rewrite the target": lambda: module.write_text("ANSWER = 0\n"),
        "unlink in the target": lambda: (target / "ex01_lifecycle.py").unlink(),
        "mkdir in the target": lambda: (target / "new").mkdir(),
        "symlink in the target": lambda: (target / "link").symlink_to("/etc"),
    }
    inside = {
        "scratch file": lambda: (scratch / "out.txt").write_text("fine"),
        "scratch dir": lambda: (scratch / "sub").mkdir(),
        "scratch rename": lambda: (scratch / "out.txt").rename(scratch / "sub" / "moved.txt"),
        "scratch .db": lambda: sqlite3.connect(scratch / "w.db").execute("create table t (x)"),
        "dev null": lambda: open(os.devnull, "w").write("x"),
    }
    try:
        before = in_child(lambda: unconfined({k: attacks[k] for k in list(attacks)[:3]}))
        assert all(v.startswith("ok") for v in before.values()), before
        for path in (in_tmp, top / "results.json", top / "grades.db"):
            path.unlink()
        after = in_child(lambda: confined(layout["plan"], {**attacks, **inside}))
    finally:
        in_tmp.unlink(missing_ok=True)
    print(json.dumps(after, indent=1))
    assert denied(after, attacks) == {}
    assert [k for k in inside if not after[k].startswith("ok")] == []
    assert module.read_text() == "ANSWER = 42\n" and not in_tmp.exists()
    assert not (top / "results.json").exists() and not (top / "grades.db").exists()
    assert (scratch / "sub" / "moved.txt").read_text() == "fine"


# -- the network -----------------------------------------------------------------------------------
@needs_landlock
@needs_tcp_rules
@pytest.mark.parametrize("network", ["netns", "userns", "landlock"])
def test_the_judges_sockets_are_out_of_reach(layout, network):
    """Whatever blocks it (a new network namespace, or Landlock's TCP rules), nothing connects."""
    if network == "netns" and not ROOT:
        pytest.skip("a network namespace without a user namespace needs root")
    plan = confine.Plan.from_json(layout["plan"].to_json())
    plan.network = network
    if network == "userns":
        plan.write = [os.devnull]  # the worker's user cannot reach pytest's folders (mode 700)
    tcp = socket.create_server(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(f"\0lstm-lab-confine-{os.getpid()}")
    abstract.listen()
    for s in (tcp, udp, abstract):
        s.setblocking(False)
    attacks = {
        "tcp": lambda: socket.socket().connect(tcp.getsockname()),  # no name lookup: an address
        "udp": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
            b"hi", udp.getsockname()
        ),
        "abstract unix": lambda: socket.socket(socket.AF_UNIX).connect(abstract.getsockname()),
    }

    def attack():
        if network == "userns" and ROOT:
            _become(*_worker_ids())  # a user namespace is what an unprivileged worker gets
        return confined(plan, attacks)

    try:
        before = in_child(lambda: unconfined(attacks))
        assert all(v.startswith("ok") for v in before.values()), before
        assert _accepted(tcp) and _received(udp) and _accepted(abstract)
        after = in_child(attack)
        print(after)
        assert after["tcp"].startswith("denied") and not _accepted(tcp)
        # Abstract names belong to a network namespace; without a new one, the scope refuses.
        refused = "denied EPERM" if network == "landlock" else "denied ECONNREFUSED"
        assert after["abstract unix"] == refused and not _accepted(abstract)
        if network == "landlock":  # what the summary says: "no TCP (landlock; UDP open)"
            assert after["udp"].startswith("ok") and _received(udp)
        else:
            assert after["udp"] == "denied ENETUNREACH" and not _received(udp)
    finally:
        for s in (tcp, udp, abstract):
            s.close()


def _accepted(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
        return True
    except BlockingIOError:
        return False


def _received(server: socket.socket) -> bool:
    try:
        return bool(server.recv(16))
    except BlockingIOError:
        return False


# -- signals ---------------------------------------------------------------------------------------
@needs_landlock
@needs_scopes
@needs_root
def test_kill_reaches_no_process_outside_the_worker(layout):
    """``kill(-1)``, ``kill(judge)``: the judge and a sibling survive though they share the uid.

    The judge, the sibling and the worker run as a uid of their own (no other process on the
    machine has it), so that even if the scope failed, ``kill(-1)`` could reach only them.
    """
    uid = 2_000_000_000 + os.getpid()
    plan = confine.Plan.from_json(layout["plan"].to_json())
    plan.network = "landlock"  # an unprivileged worker's own network rule; not under test here
    plan.write = [os.devnull]  # that uid cannot reach pytest's folders (mode 700)
    sibling, release = _sibling(uid)
    report_r, report_w = os.pipe()
    try:
        assert in_child(lambda: (_become(uid, uid), attempt(lambda: os.kill(sibling, 0)))[1]) == (
            "ok None"
        ), "unconfined, the same uid can signal the sibling"
        judge = os.fork()
        if judge == 0:  # pragma: no cover - the judge-like parent of the worker
            try:
                _become(uid, uid)
                worker = os.fork()
                if worker == 0:
                    try:
                        report = _worker_kills(plan, sibling)
                    except BaseException as exc:  # noqa: BLE001 - reported to the test
                        report = {"error": f"{type(exc).__name__}: {exc}"}
                    finally:
                        os.write(report_w, json.dumps(report).encode())
                        os._exit(0)
                os.waitpid(worker, 0)
            finally:
                os._exit(0)
        os.close(report_w)
        report = json.loads(_read_until_eof(report_r, judge, CHILD_TIMEOUT))
        _, status = os.waitpid(judge, 0)
        print(report)
        assert report["probe judge"] == report["probe sibling"] == "denied EPERM"
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the judge was killed"
        assert os.waitpid(sibling, os.WNOHANG) == (0, 0), "the sibling was killed"
    finally:
        os.close(release)
        os.waitpid(sibling, 0)
    me = os.getpid()
    root = in_child(lambda: _root_worker_kills(layout["plan"], me))
    assert root == {"probe": "denied EPERM", "kill": "denied EPERM"}  # and this test survived


def _worker_kills(plan, sibling: int) -> dict:
    confine.apply(plan)
    judge = os.getppid()
    report = {
        "probe judge": attempt(lambda: os.kill(judge, 0)),
        "probe sibling": attempt(lambda: os.kill(sibling, 0)),
    }
    if report["probe judge"] == report["probe sibling"] == "denied EPERM":
        report["kill -1"] = attempt(lambda: os.kill(-1, signal.SIGKILL))
        report["kill judge"] = attempt(lambda: os.kill(judge, signal.SIGKILL))
        report["kill sibling"] = attempt(lambda: os.kill(sibling, signal.SIGKILL))
    return report


def _root_worker_kills(plan, judge: int) -> dict:
    """A worker that stays uid 0 (no capabilities) probes the test process, then tries to kill it
    only if the probe was refused: a broken scope fails the test instead of killing pytest."""
    confine.apply(plan)
    report = {"probe": attempt(lambda: os.kill(judge, 0))}
    if report["probe"] == "denied EPERM":
        report["kill"] = attempt(lambda: os.kill(judge, signal.SIGKILL))
    return report


def _sibling(uid: int) -> tuple[int, int]:
    """A process of ``uid`` (once this returns) that lives until the returned fd is closed."""
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the sibling
        os.close(w)
        os.close(ready_r)
        _become(uid, uid)
        os.close(ready_w)
        os.read(r, 1)
        os._exit(0)
    os.close(r)
    os.close(ready_w)
    os.read(ready_r, 1)  # EOF once the sibling has become ``uid``
    os.close(ready_r)
    return pid, w


def _become(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _worker_ids(name: str = "lstm-lab-worker") -> tuple[int, int]:
    """The dedicated worker user's ids (created, as the grader does, when missing)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        shell = ["--shell", "/usr/sbin/nologin"]
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--user-group", *shell, name], check=True
        )
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


# -- a fresh interpreter: imports after confinement ------------------------------------------------
CHILD = """
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("confine", sys.argv[1])
confine = sys.modules["confine"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(confine)
plan = confine.Plan.from_json(sys.argv[2])
uid, gid, probe = json.loads(sys.argv[3])
line = confine.enter(plan, uid, gid)
import numpy
out = {"line": line, "uid": os.getuid(), "sum": float(numpy.linalg.inv(numpy.eye(3) * 2).sum())}
def attempt(action):
    try:
        return "ok " + repr(action())[:200]
    except Exception as exc:
        return "denied " + type(exc).__name__
for name, path in probe.items():
    out[name] = attempt(lambda: os.listdir(path) if os.path.isdir(path) else open(path).read())
out["write scratch"] = attempt(lambda: open("made-here.txt", "w").write("fine"))
out["write /dev/null"] = attempt(lambda: open(os.devnull, "w").write("fine"))
out["write /tmp"] = attempt(lambda: open("/tmp/lstm-lab-confine-%d" % os.getpid(), "w"))
with open("/proc/self/status") as status:
    out["caps"] = [line.split()[1] for line in status if line.startswith("Cap")]
if "keras" in sys.argv[4:]:
    import keras
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.LSTM(3), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    x = numpy.linspace(0, 1, 40, dtype="float32").reshape(8, 5, 1)
    history = model.fit(x, x[:, -1, 0], epochs=2, verbose=0)
    out["keras"] = [keras.backend.backend(), len(history.history["loss"])]
print(json.dumps(out))
"""


def run_fresh(plan, scratch: Path, uid=None, gid=None, probe=None, *extra, timeout=120) -> dict:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(scratch),
        "TMPDIR": str(scratch),
        "MPLCONFIGDIR": str(scratch),
        "KERAS_HOME": str(scratch),
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    args = [CONFINE_FILE, plan.to_json(), json.dumps([uid, gid, probe or {}]), *extra]
    done = subprocess.run(
        [sys.executable, "-I", "-c", CHILD, *args],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stderr[-2000:])
    return json.loads(done.stdout.splitlines()[-1])


@needs_landlock
def test_numpy_imports_and_computes_after_confinement(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    plan = confine.plan(scratch, scratch)
    plan.masks = []  # Landlock alone: the interpreter's own files stay where they are
    out = run_fresh(plan, scratch, probe={"stdlib": os.path.dirname(os.__file__)})
    print(out)
    assert out["sum"] == 1.5
    assert out["line"].startswith(f"landlock abi {ABI},")
    assert out["stdlib"].startswith("ok")


@needs_landlock
@needs_root
def test_the_worker_user_runs_python_from_root_behind_private_mounts(tmp_path):
    """/root is 700 here: the worker's user reads its Python only through ``private_mounts``."""
    uid, gid = _worker_ids()
    assert confine.unreadable_by(uid, gid, [os.__file__]) == [os.__file__], (
        "without the private mounts, the worker's user cannot read the standard library"
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    os.chown(scratch, uid, gid)
    plan = confine.plan(scratch, scratch, uid=uid, gid=gid)
    checkout = str(Path(confine.__file__).parents[2])  # /work/main, or a clone under /tmp
    assert "/root" in plan.masks
    assert any(checkout == m or checkout.startswith(m + "/") for m in plan.masks), plan.masks
    secret = Path("/root") / f".lstm-lab-confine-{os.getpid()}"
    secret.write_text("root's own")
    solutions = Path(confine.__file__).parents[2] / "solutions"
    probe = {"root": "/root", "root's file": str(secret), "solutions": str(solutions)}
    try:
        out = run_fresh(plan, scratch, uid, gid, probe)
    finally:
        secret.unlink()
    print(out)
    assert out["uid"] == uid and out["sum"] == 1.5
    assert "private mounts" in out["line"] and f"uid {uid}" in out["line"]
    assert denied(out, [*probe, "write /tmp"]) == {}
    assert out["write scratch"] == out["write /dev/null"] == "ok 4"
    assert (scratch / "made-here.txt").read_text() == "fine"
    assert set(out["caps"]) == {"0000000000000000"}, "bounding set included"


@needs_landlock
@needs_root
def test_without_private_mounts_a_worker_that_cannot_read_python_stays_root_without_caps(layout):
    uid, gid = _worker_ids()
    plan = confine.Plan.from_json(layout["plan"].to_json())
    plan.masks = []  # as where no mount namespace can be made
    line = in_child(lambda: (confine.enter(plan, uid, gid), os.getuid())[0])
    print(line)
    assert f"stays root: uid {uid} cannot read /root/" in line
    assert "uid 0 without capabilities" in line


@pytest.mark.slow
@needs_landlock
@needs_root
def test_keras_trains_an_lstm_in_a_confined_worker(tmp_path):
    uid, gid = _worker_ids()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    os.chown(scratch, uid, gid)
    plan = confine.plan(scratch, scratch, uid=uid, gid=gid)
    out = run_fresh(plan, scratch, uid, gid, None, "keras", timeout=300)
    print(out)
    assert out["keras"] == ["tensorflow", 2] and out["uid"] == uid
