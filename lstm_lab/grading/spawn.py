"""Starting a worker: forked from the zygote, or a fresh interpreter; one spec for both.

A worker is described by a spec (``worker_spec``: the target, its working directory, its
environment, the user it becomes, its rlimits). ``start(spec, ...)`` asks this judge's zygote
(``zygote``: TensorFlow imported once, workers forked in milliseconds) to fork it, and starts
``python -m lstm_lab.grading.worker SPEC`` instead where forking is off (the ``zygote``
setting), the Keras backend is not TensorFlow, the spec changes what the preloaded libraries
read at import, or the zygote failed. Either way the new process runs ``worker.become(spec)``
before it reads a request, and is a child of this process (the judge is a subreaper), so the
proxy waits for it and kills it alike.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import host, settings

#: Variables that the zygote's preloaded libraries read at start: a worker whose environment
#: changes one of them gets a fresh interpreter instead of a fork.
_STARTUP_VARS = re.compile(r"^(PYTHON|TF_|KERAS|CUDA|OMP_|MKL_|OPENBLAS|LD_|MALLOC|XLA)")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
#: Held while a worker starts and while strays are swept: a sweep must not take a worker that
#: another thread has just started for one of its own (``ahead`` runs two workers at once).
PROCESSES = threading.RLock()
#: What this judge's workers cost: starts, restarts after a crash or timeout, the zygote's start.
STATS = {"workers_started": 0, "restarts": 0, "recycled": 0, "zygote_seconds": 0.0, "forked": 0}


def environment() -> dict:
    """The environment of this judge's workers and zygote: the judge's own, less its pytest and
    coverage variables, with the grade's settings as one value."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "LSTM_LAB_", "COV_", "HYPOTHESIS"))
    }
    env.update(
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONSAFEPATH="1",  # never put the worker's cwd on sys.path
        PYTHONPATH=_PACKAGE_ROOT,  # find lstm_lab itself even when it is not installed
    )
    env.update(settings.for_child())
    return env


def worker_spec(
    target,
    cwd,
    env: dict,
    *,
    uid=None,
    gid=None,
    limits=None,
    confine: str | None = None,
    reference_siblings: bool = False,
) -> dict:
    """What a worker becomes before it serves (``worker.become``): ``confine`` is a
    ``confine.Plan`` as JSON, or ``None`` for a worker that is not confined;
    ``reference_siblings``: the target's ex02-ex04 are the reference's pieces in this worker
    (``relay.stand_in_modules``), never the student's."""
    return {
        "target": str(target),
        "cwd": str(cwd),
        "env": dict(env),
        "uid": uid,
        "gid": gid,
        "limits": dict(limits or {}),
        "confine": confine,
        "reference_siblings": bool(reference_siblings),
    }


def start(spec: dict, stderr, *, forkable: bool = True):
    """Start the worker of ``spec``; return ``(process, request fd, answer fd)``.

    ``stderr`` is a file the worker's stdout and stderr go to; ``forkable`` is ``False`` when
    the spec's environment changes what the zygote preloaded (a fresh interpreter then).
    """
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    try:
        with PROCESSES:
            proc = _fork(spec, [req_r, resp_w, stderr.fileno()]) if forkable else None
            if proc is None:
                proc = _fresh(spec, req_r, resp_w, stderr)
    except BaseException:
        os.close(req_w)
        os.close(resp_r)
        raise
    finally:
        os.close(req_r)
        os.close(resp_w)
    STATS["workers_started"] += 1
    return proc, req_w, resp_r


def _fork(spec: dict, fds: list[int]):
    """The worker forked by the zygote, or ``None`` where there is no zygote."""
    zygote_ = zygote(environment())
    if zygote_ is None:
        return None
    try:
        proc = zygote_.spawn(spec, fds)
    except (OSError, ValueError) as exc:  # a broken zygote: fresh workers from now on
        _ZYGOTE["failed"] = f"the zygote could not fork: {exc}"
        return None
    STATS["forked"] += 1
    return proc


def _fresh(spec: dict, req_r: int, resp_w: int, stderr) -> subprocess.Popen:
    """The worker as a fresh interpreter, which becomes ``spec`` as a forked one would."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lstm_lab.grading.worker",
            json.dumps(spec),
            str(req_r),
            str(resp_w),
        ],
        pass_fds=(req_r, resp_w),
        stdin=subprocess.DEVNULL,
        stdout=stderr,
        stderr=stderr,
        cwd=spec["cwd"],
        # One thread until the worker has confined itself (confinement binds the calling thread
        # only): importing lstm_lab imports NumPy, whose OpenBLAS would start a pool. The worker
        # takes the spec's own environment in ``become``.
        env=dict(spec["env"], OPENBLAS_NUM_THREADS="1"),
        start_new_session=True,  # so a kill reaches everything it started
    )


def forkable(extra_env: dict) -> bool:
    """Whether a worker with these extra variables may be forked from the zygote."""
    return not any(_STARTUP_VARS.match(k) for k in extra_env)


# -- processes -------------------------------------------------------------------------------------
class _Forked:
    """A worker forked by the zygote and adopted by this (subreaper) process: a mini Popen."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -signal.SIGKILL
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("worker", timeout)
            time.sleep(0.005)
        return self.returncode


class _Zygote:
    """The judge's connection to its zygote process (see ``zygote``)."""

    def __init__(self, env: dict):
        self.lock = threading.Lock()
        self.log = tempfile.TemporaryFile()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lstm_lab.grading.zygote", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
                cwd="/",
                env=env,
                start_new_session=True,
            )
        finally:
            child.close()
        self.sock = parent
        ready = self._receive(settings.current().zygote_start)
        if not ready.get("ready"):
            self.close()
            raise OSError(f"the zygote did not start: {ready}")
        self.failed = ready.get("failed", [])

    def _receive(self, timeout: float) -> dict:
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if not readable:
            raise OSError("the zygote did not answer in time")
        data = self.sock.recv(1 << 16)
        if not data:
            raise OSError("the zygote closed its socket")
        return json.loads(data)

    def spawn(self, request: dict, fds: list[int]) -> _Forked:
        with self.lock:
            socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
            answer = self._receive(60)
        if "pid" not in answer:
            raise OSError(answer.get("error", "the zygote could not fork"))
        return _Forked(int(answer["pid"]))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


_ZYGOTE: dict = {}


def zygote(env: dict) -> _Zygote | None:
    """This judge's zygote, started on first use; ``None`` when forking is off or failed."""
    if not settings.current().zygote or not hasattr(socket, "send_fds"):
        return None
    if env.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return None  # JAX and PyTorch start threads that a fork would leave broken
    if _ZYGOTE.get("pid") != os.getpid():  # a forked judge (xdist) starts its own
        _ZYGOTE.clear()
        _ZYGOTE["pid"] = os.getpid()
    if _ZYGOTE.get("failed"):
        return None
    zygote = _ZYGOTE.get("zygote")
    if zygote is not None and zygote.alive():
        return zygote
    if not _ZYGOTE.get("subreaper"):
        if not host.become_subreaper():
            _ZYGOTE["failed"] = "this system cannot adopt orphaned processes"
            return None
        _ZYGOTE["subreaper"] = True
    started = time.monotonic()
    try:
        _ZYGOTE["zygote"] = _Zygote(env)
        STATS["zygote_seconds"] += time.monotonic() - started
    except (OSError, ValueError) as exc:
        _ZYGOTE["failed"] = str(exc)
        return None
    return _ZYGOTE["zygote"]


def subreaper() -> bool:
    """Make this judge adopt its workers' orphans (once); whether it does."""
    if not _ZYGOTE.get("subreaper"):
        _ZYGOTE["subreaper"] = host.become_subreaper()
    return bool(_ZYGOTE.get("subreaper"))


def close() -> None:
    """Stop this judge's zygote, and every orphan its workers left (when a subreaper)."""
    zygote_ = _ZYGOTE.get("zygote")
    if zygote_ is not None:
        zygote_.close()
        _ZYGOTE.clear()
    if _ZYGOTE.get("subreaper"):
        host.kill_descendants()  # orphans of workers were adopted by this judge: none escapes
