"""The judge's handle on a target: every call runs in a worker process, results come back as data.

    target = TargetProxy("exercises")
    Xw, yw = target.call("ex02_windows", "sliding_windows", X, y, 10)
    probe = target.scenario("stateful_classifier_probe", batch_size=10, chunk=5)

A call that the target fails raises a subclass of ``errors.GradingFailure`` (an
``AssertionError``). A worker that dies or overruns its time limit is killed (with everything it
started) and a fresh one is started at the next call, so one broken function costs only its own
tests.

How much time a call may take:

- its own ``timeout`` (the proxy's default otherwise), capped by ``LSTM_LAB_CALL_TIMEOUT_MAX``;
  importing a target module is timed apart (``LSTM_LAB_IMPORT_TIMEOUT``), so the first call of a
  module does not pay for the import;
- a function whose call ran out of time is not called again in this grade, and a module whose
  import ran out of time is not imported again (``errors.NotCalledAgain``): a loop that never
  ends costs one time limit, not one per test;
- ``BUDGET`` (set by the grading plugin) bounds the whole grade and each exercise's share of it
  (``errors.OutOfTime``), so a slow exercise cannot starve the others of the grade's time.

Workers are forked from a zygote that imported TensorFlow once (``zygote``), unless
``LSTM_LAB_ZYGOTE=0``, the Keras backend is not TensorFlow, or the proxy's ``env`` changes what
those libraries read at import; then each worker is a fresh ``python -m
lstm_lab.grading.worker``. A worker that grew by ``LSTM_LAB_RECYCLE_MB`` is replaced between
calls. Untrusted targets run in the sandbox the grade command exported (``sandbox``); the
solutions never do.

Questions from a worker during a call (``worker.ask_judge``) are answered by the proxy's
``callbacks``; ``Relay`` answers them with the solutions' worker, for the names it allows.
"""

from __future__ import annotations

import contextlib
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
import weakref
from pathlib import Path

from ..target import resolve
from . import codec, errors, sandbox, wire

#: Seconds one call may take unless the caller says otherwise.
DEFAULT_TIMEOUT = float(os.environ.get("LSTM_LAB_CALL_TIMEOUT", 120))
#: Seconds importing one target module may take.
DEFAULT_IMPORT_TIMEOUT = 120.0
#: A worker whose memory grew by more than this many MB since it started is replaced before the
#: next call (TensorFlow keeps about 10 MB per model trained; a worker that trains dozens of
#: models would otherwise hold hundreds of MB). ``LSTM_LAB_RECYCLE_MB``; 0 turns it off.
DEFAULT_RECYCLE_MB = 200
#: After this many deaths (or malformed answers) of its worker, a function is not called again.
CRASH_LIMIT = int(os.environ.get("LSTM_LAB_CRASH_LIMIT", 3))
#: How much of the worker's stderr a crash report quotes.
STDERR_TAIL = 2000
#: Lines of library noise left out of the quoted stderr.
_NOISE = re.compile(r"^(I0000|W0000|E0000|WARNING: All log messages before absl)")
#: Variables that the zygote's preloaded libraries read at start: a proxy whose ``env`` sets
#: one of them gets a fresh interpreter instead of a fork.
_STARTUP_VARS = re.compile(r"^(PYTHON|TF_|KERAS|CUDA|OMP_|MKL_|OPENBLAS|LD_|MALLOC|XLA)")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def _env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        return default


# -- the grade's time ------------------------------------------------------------------------------
class Budget:
    """Time limits across all proxies of this judge, and what each exercise spent.

    ``deadline`` (a ``time.monotonic()`` value) ends every call; ``per_exercise`` bounds the time
    an untrusted target's calls may take while the tests of one exercise run (the grading plugin
    says which, in ``exercise``): seconds for every exercise, or ``{module: seconds}`` with
    ``"*"`` for the others. A thread that works for one exercise while the tests of another run
    (``ahead``) says so with ``working_for``: its calls are charged to that exercise.
    """

    def __init__(self):
        self.deadline: float | None = None
        self.total: float | None = None
        self.per_exercise: float | dict | None = None
        self._exercise: str | None = None
        self._local = threading.local()
        self._charging = threading.Lock()
        self.spent: dict[str, float] = {}

    @property
    def exercise(self) -> str | None:
        """The exercise whose tests are running, or the one this thread works for."""
        return getattr(self._local, "exercise", self._exercise)

    @exercise.setter
    def exercise(self, module: str | None) -> None:
        self._exercise = module

    @contextlib.contextmanager
    def working_for(self, module: str | None):
        """Charge this thread's calls to ``module`` while the block runs."""
        local = self._local
        local.exercise = module
        try:
            yield
        finally:
            local.__dict__.pop("exercise", None)

    def reset(self) -> None:
        self.__init__()

    def start(self, total: float | None = None, per_exercise=None) -> None:
        """Begin a grade of at most ``total`` seconds, ``per_exercise`` for each exercise."""
        self.reset()
        self.total, self.per_exercise = total, per_exercise
        if total is not None:
            self.deadline = time.monotonic() + total

    def exercise_limit(self, module: str | None) -> float | None:
        """The seconds ``module``'s calls may take in all, or ``None``."""
        if isinstance(self.per_exercise, dict):
            return self.per_exercise.get(module, self.per_exercise.get("*"))
        return self.per_exercise

    def limit_of(self, scope: str | None) -> float:
        """The seconds ``scope`` (an exercise, or "the grade") may take in all."""
        return (self.total if scope == "the grade" else self.exercise_limit(scope)) or 0.0

    def remaining(self, charged: bool) -> tuple[float, str | None]:
        """Seconds left for a call, and what limits it (``None``: nothing)."""
        left, scope = float("inf"), None
        if self.deadline is not None:
            left, scope = self.deadline - time.monotonic(), "the grade"
        limit = self.exercise_limit(self.exercise) if self.exercise is not None else None
        if charged and limit is not None:
            mine = limit - self.spent.get(self.exercise, 0.0)
            if mine < left:
                left, scope = mine, self.exercise
        return left, scope

    def charge(self, seconds: float) -> None:
        exercise = self.exercise
        if exercise is not None:
            with self._charging:
                self.spent[exercise] = self.spent.get(exercise, 0.0) + seconds


def parse_exercise_limits(values) -> float | dict | None:
    """``["120", "ex05_training=400"]`` -> ``{"*": 120.0, "ex05_training": 400.0}``.

    A bare number is the limit of every exercise not named; ``ValueError`` for anything else.
    """
    from ..target import MODULES

    limits: dict[str, float] = {}
    for value in values or []:
        module, _, seconds = str(value).rpartition("=")
        module = module or "*"
        if module != "*" and module not in MODULES:
            raise ValueError(f"exercise time limits name exercise modules, got {module!r}")
        limits[module] = float(seconds)
    if not limits:
        return None
    return limits


BUDGET = Budget()
_live: weakref.WeakSet = weakref.WeakSet()
#: The test running, counted by ``new_test`` (the suite's conftest calls it before each test).
_TEST = {"number": 0}
#: Answers that the same call would give again, whatever its arguments, for the rest of a test:
#: the module is missing, does not import, lacks the function, or the function raises
#: NotImplementedError (a stub). Hypothesis shrinks a failing example with hundreds of calls;
#: answering those here, without a round trip to the worker, took a grade of the stubs from 44
#: to 7 s. Only within one test: a function that raises NotImplementedError for some
#: inputs only is called again by the next test.
_SAME_EVERY_TIME = ("missing", "import", "attribute", "notimpl")


def new_test() -> None:
    """A new test begins: calls remembered as not implemented are made again."""
    _TEST["number"] += 1


#: Held while a worker starts and while strays are swept: a sweep must not take a worker that
#: another thread has just started for one of its own (``ahead`` runs two workers at once).
_PROCESSES = threading.RLock()
#: What this judge's workers cost: starts, restarts after a crash or timeout, the zygote's start.
STATS = {"workers_started": 0, "restarts": 0, "recycled": 0, "zygote_seconds": 0.0, "forked": 0}


def close_all() -> None:
    """Stop every worker and the zygote of this judge, and whatever they left behind."""
    for proxy in list(_live):
        proxy.close()
    zygote = _ZYGOTE.get("zygote")
    if zygote is not None:
        zygote.close()
        _ZYGOTE.clear()
    if _ZYGOTE.get("subreaper"):
        sandbox.kill_descendants()  # orphans of workers were adopted by this judge: none escapes
    # Not "every process of the workers' user": another judge on this machine may be grading.


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
        ready = self._receive(float(os.environ.get("LSTM_LAB_ZYGOTE_START", 300)))
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


def _zygote(env: dict) -> _Zygote | None:
    """This judge's zygote, started on first use; ``None`` when forking is off or failed."""
    if os.environ.get("LSTM_LAB_ZYGOTE", "1") == "0" or not hasattr(socket, "send_fds"):
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
        if not sandbox.become_subreaper():
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


# -- the proxy -------------------------------------------------------------------------------------
class TargetProxy:
    """Run a target's functions in a worker subprocess.

    Parameters
    ----------
    target : str or Path
        The target directory (or ``"solutions"``/``"exercises"``).
    timeout : float
        Default seconds per call.
    env : dict, optional
        Extra environment variables for the worker.
    callbacks : callable, optional
        Answers the worker's questions during a call (``worker.ask_judge``): called with the
        question (data), returns data. ``Relay(reference, allow=...)`` answers with the
        solutions. Without it every question is refused.
    """

    def __init__(
        self,
        target,
        *,
        timeout: float | None = None,
        env: dict | None = None,
        callbacks=None,
    ):
        self.path = resolve(target)
        self.timeout = float(
            _env_float("LSTM_LAB_CALL_TIMEOUT", DEFAULT_TIMEOUT) if timeout is None else timeout
        )
        self.extra_env = dict(env or {})
        self.callbacks = callbacks
        self.restarts = 0
        self.policy = sandbox.Policy.from_env()
        self.trusted = sandbox.is_trusted(self.path)
        self.caged = self.policy.enabled and not self.trusted
        self._proc = None
        self._stderr = None
        self._workdir: tempfile.TemporaryDirectory | None = None
        self._staged: tempfile.TemporaryDirectory | None = None
        self._worker_path: Path | None = None
        self._jail: sandbox.Jail | None = None
        self._watch: sandbox.RssWatch | None = None
        self._req = self._resp = -1
        self._rss_start = 0
        self._broken: dict[str, tuple[str, float]] = {}
        self._broken_modules: dict[str, tuple[str, float]] = {}
        self._strikes: dict[str, int] = {}
        self._unimplemented: dict[str, tuple[int, dict]] = {}  # key -> (test, error)
        self._lock = threading.RLock()  # one request at a time, whichever thread asks
        _live.add(self)

    # -- the worker's life -------------------------------------------------------------------
    def _environment(self) -> dict:
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
        if "LSTM_LAB_PRELOAD" in os.environ:
            env["LSTM_LAB_PRELOAD"] = os.environ["LSTM_LAB_PRELOAD"]
        return env

    def _target_for_worker(self) -> Path:
        if self._worker_path is None:
            if self.caged:
                self._worker_path, self._staged = sandbox.stage_target(self.path, self.policy)
            else:
                self._worker_path = self.path
        return self._worker_path

    def _start(self) -> None:
        with _PROCESSES:
            self._start_worker()

    def _start_worker(self) -> None:
        target = str(self._target_for_worker())
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        self._workdir = tempfile.TemporaryDirectory(prefix="lstm_lab_worker_")
        if self._stderr is not None:
            self._stderr.close()
        self._stderr = tempfile.TemporaryFile()
        env = self._environment()
        worker_env = dict(env, **self.extra_env)
        if self.caged:
            sandbox.prepare_workdir(self._workdir.name, self.policy)
            worker_env["HOME"] = self._workdir.name
            worker_env["TMPDIR"] = self._workdir.name
            worker_env["MPLCONFIGDIR"] = self._workdir.name
        limits = self.policy.child_limits() if self.caged else {"core": 0}
        uid = self.policy.uid if self.caged and self.policy.drops else None
        gid = self.policy.gid if uid is not None else None
        if self.caged and self._jail is None:
            self._jail = sandbox.Jail(self.policy)  # kept across restarts, removed at close
        if self.caged and not _ZYGOTE.get("subreaper"):
            _ZYGOTE["subreaper"] = sandbox.become_subreaper()
        zygote = None
        if not any(_STARTUP_VARS.match(k) for k in self.extra_env):
            zygote = _zygote(env)
        try:
            if zygote is not None:
                request = {
                    "target": target,
                    "env": worker_env,
                    "cwd": self._workdir.name,
                    "uid": uid,
                    "gid": gid,
                    "limits": limits,
                }
                try:
                    self._proc = zygote.spawn(request, [req_r, resp_w, self._stderr.fileno()])
                    STATS["forked"] += 1
                except (OSError, ValueError) as exc:  # a broken zygote: fresh workers from now on
                    _ZYGOTE["failed"] = f"the zygote could not fork: {exc}"
                    zygote = None
            if zygote is None:
                worker_env["LSTM_LAB_WORKER_LIMITS"] = json.dumps(limits)
                self._proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "lstm_lab.grading.worker",
                        target,
                        str(req_r),
                        str(resp_w),
                    ],
                    pass_fds=(req_r, resp_w),
                    stdin=subprocess.DEVNULL,
                    stdout=self._stderr,
                    stderr=self._stderr,
                    cwd=self._workdir.name,
                    env=worker_env,
                    start_new_session=True,  # so a kill reaches everything it started
                    **({"user": uid, "group": gid, "extra_groups": []} if uid is not None else {}),
                )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._req, self._resp = req_w, resp_r
        STATS["workers_started"] += 1
        if self._jail is not None:
            try:
                self._jail.enter(self._proc.pid)
            except OSError:
                pass
            self._jail.mark()
        self._rss_start = sandbox.rss_anon(self._proc.pid)
        if self.caged and self.policy.memory == "rlimit+poll" and self.policy.memory_mb:
            self._watch = sandbox.RssWatch(self._proc.pid, self.policy.memory_mb)
        else:
            self._watch = None

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self._jail is not None:
            self._jail.kill_all()
        proc.wait()
        for fd in (self._req, self._resp):
            try:
                os.close(fd)
            except OSError:
                pass
        self._req = self._resp = -1
        if self._workdir is not None:
            try:
                self._workdir.cleanup()
            except OSError:
                pass
            self._workdir = None

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - 4 * STDERR_TAIL))
        text = self._stderr.read().decode(errors="replace")
        lines = [line for line in text.splitlines() if not _NOISE.match(line)]
        return "\n".join(lines).strip()[-STDERR_TAIL:]

    def close(self) -> None:
        """Stop the worker (a later call starts a new one)."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.close(self._req)  # end of input: the worker leaves its loop
                self._req = -1
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._staged is not None:
            self._staged.cleanup()
            self._staged, self._worker_path = None, None
        if self._jail is not None:
            self._jail.close()
            self._jail = None

    def __repr__(self) -> str:  # no address: messages that quote it must read the same twice
        return f"TargetProxy({str(self.path)!r})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:
            pass

    # -- requests ------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._watch is not None:
            self._watch()

    def _sweep(self) -> None:
        """Kill what the worker started and left running: no process outlives a call."""
        with _PROCESSES:
            self._sweep_strays()

    def _sweep_strays(self) -> None:
        worker = self._proc.pid
        strays = set()
        if self._jail is not None and self._jail.groups:
            strays |= self._jail.pids()
        strays |= set(sandbox.tree(worker))
        if self.policy.drops:  # orphans the judge adopted, recognised by their user
            strays |= {p for p in sandbox.children(os.getpid()) if _uid(p) == self.policy.uid}
            strays -= {proxy.pid for proxy in list(_live) if proxy.pid is not None}
        strays.discard(worker)
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if strays:
            sandbox.reap()

    def _crash(self, where: str) -> errors.WorkerCrashed:
        returncode = None
        if self._proc is not None:
            try:
                returncode = self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                returncode = None
        tail = self._stderr_tail()
        reason = ""
        limit = self.policy.memory_mb
        if (self._jail is not None and self._jail.out_of_memory()) or (
            self._watch is not None and self._watch.tripped
        ):
            reason = f"It used more than the {limit} MB of memory a worker may use"
        elif returncode is not None and returncode == -signal.SIGXFSZ:
            reason = f"It wrote more than the {self.policy.file_mb} MB a file may hold"
        self._kill()
        self.restarts += 1
        STATS["restarts"] += 1
        return errors.WorkerCrashed(where, returncode, tail, reason)

    def _request(
        self, request: dict, where: str, timeout: float | None, key: str, module: str | None
    ):
        with self._lock:
            return self._request_now(request, where, timeout, key, module)

    def _request_now(
        self, request: dict, where: str, timeout: float | None, key: str, module: str | None
    ):
        if module in self._broken_modules:
            reason, seconds = self._broken_modules[module]
            raise errors.NotCalledAgain(where, reason, seconds)
        if key in self._broken:
            reason, seconds = self._broken[key]
            raise errors.NotCalledAgain(where, reason, seconds)
        test, error = self._unimplemented.get(key, (0, None))
        if error is not None and test == _TEST["number"]:
            raise self._failure(error, where)
        seconds = self.timeout if timeout is None else float(timeout)
        cap = _env_float("LSTM_LAB_CALL_TIMEOUT_MAX", None)
        if cap is not None:
            seconds = min(seconds, cap)
        import_limit = _env_float("LSTM_LAB_IMPORT_TIMEOUT", DEFAULT_IMPORT_TIMEOUT)
        charged = not self.trusted
        left, scope = BUDGET.remaining(charged)
        if left <= 0:
            raise errors.OutOfTime(where, BUDGET.limit_of(scope), scope)
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self._kill()
                self.restarts += 1
                STATS["restarts"] += 1
            self._start()
        start = time.monotonic()
        limit_end = start + left
        deadline = min(start + seconds, limit_end)
        importing, import_start, waiting = None, 0.0, deadline
        imported = False
        try:
            wire.write_frame(self._req, codec.encode(request), deadline, self._tick)
            while True:
                frame = wire.read_frame(self._resp, waiting, codec.MAX_MESSAGE, self._tick)
                message = codec.decode(frame)
                if not isinstance(message, dict):
                    raise ValueError("the answer is not a dict")
                if "note" in message and isinstance(message["note"], dict):
                    note = message["note"]
                    now = time.monotonic()
                    if isinstance(note.get("importing"), str) and importing is None:
                        importing, import_start = note["importing"], now
                        waiting = min(now + import_limit, limit_end)
                    elif "imported" in note and importing is not None:
                        deadline = min(deadline + (now - import_start), limit_end)
                        importing, waiting, imported = None, deadline, True
                    continue
                if "callback" in message:
                    reply = self._answer(message["callback"])
                    wire.write_frame(self._req, codec.encode({"reply": reply}), waiting, self._tick)
                    continue
                answer = message
                break
        except wire.WireTimeout:
            self._kill()
            self.restarts += 1
            STATS["restarts"] += 1
            now = time.monotonic()
            if now >= limit_end - 0.01 and scope is not None and left < seconds:
                raise errors.OutOfTime(where, BUDGET.limit_of(scope), scope) from None
            if importing is not None:
                self._broken_modules[importing] = (
                    f"importing {importing}.py did not finish within {import_limit:g} s",
                    import_limit,
                )
                raise errors.CallTimeout(
                    where,
                    import_limit,
                    f"{where}: importing {importing}.py did not finish within "
                    f"{import_limit:g} s and was stopped. Hint: does the module run a loop, or "
                    "train, when it is imported? Keep module level code to definitions.",
                ) from None
            self._broken[key] = (
                f"an earlier call of {key} did not return within {seconds:g} s",
                seconds,
            )
            raise errors.CallTimeout(where, seconds) from None
        except (wire.WireClosed, OSError):
            crash = self._crash(where)
            self._strike(key, "the process running it died")
            raise crash from None
        except ValueError as exc:
            self._kill()
            self.restarts += 1
            STATS["restarts"] += 1
            self._strike(key, "it sent malformed answers")
            raise errors.ProtocolError(
                f"{where}: the worker sent a malformed answer ({exc})"
            ) from None
        finally:
            if charged:
                BUDGET.charge(time.monotonic() - start)
            if self.caged and self._proc is not None:
                self._sweep()
        if not ("ok" in answer or "error" in answer):
            self._kill()
            self.restarts += 1
            STATS["restarts"] += 1
            raise errors.ProtocolError(f"{where}: the worker sent a malformed answer")
        if imported:  # what an import takes is not growth: measure from here on
            self._rss_start = sandbox.rss_anon(self._proc.pid) if self._proc else 0
        self._maybe_recycle()
        if "error" in answer:
            error = answer["error"]
            if _TEST["number"] and isinstance(error, dict):
                if error.get("kind") in _SAME_EVERY_TIME:
                    self._unimplemented[key] = (_TEST["number"], error)
            raise self._failure(error, where)
        return answer["ok"]

    def _maybe_recycle(self) -> None:
        """Replace a worker that has grown too big (its next call starts a fresh one)."""
        limit = _env_float("LSTM_LAB_RECYCLE_MB", DEFAULT_RECYCLE_MB)
        if not limit or self._proc is None:
            return
        if sandbox.rss_anon(self._proc.pid) - self._rss_start <= limit * 2**20:
            return
        try:
            os.close(self._req)  # end of input: the worker leaves its loop
            self._req = -1
            self._proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._kill()
        STATS["recycled"] += 1

    def _strike(self, key: str, what: str) -> None:
        self._strikes[key] = self._strikes.get(key, 0) + 1
        if self._strikes[key] >= CRASH_LIMIT:
            self._broken[key] = (f"{what} in {self._strikes[key]} calls", 0.0)

    def _answer(self, question) -> dict:
        """The reply to a worker's question: ``{"ok": value}`` or ``{"error": {...}}``."""
        if self.callbacks is None:
            return {
                "error": {
                    "type": "JudgeError",
                    "message": "the judge answers no questions during this call",
                }
            }
        try:
            value = self.callbacks(question)
            codec.encode(value)
            return {"ok": value}
        except errors.StudentError as exc:
            return {"error": {"type": exc.type_name, "message": exc.message}}
        except errors.GradingFailure as exc:
            return {"error": {"type": "JudgeError", "message": str(exc)[:2000]}}
        except Exception as exc:  # noqa: BLE001 - the question was bad; the judge carries on
            return {"error": {"type": "JudgeError", "message": f"{type(exc).__name__}: {exc}"}}

    def _failure(self, error, where: str) -> errors.GradingFailure:
        failure = _failure(error if isinstance(error, dict) else {}, where)
        if self._worker_path is not None and self._worker_path != self.path:
            staged, real = str(self._worker_path), str(self.path)
            failure.args = tuple(
                a.replace(staged, real) if isinstance(a, str) else a for a in failure.args
            )
            for name in ("message", "traceback"):
                if isinstance(getattr(failure, name, None), str):
                    setattr(failure, name, getattr(failure, name).replace(staged, real))
        return failure

    def call(self, module: str, function: str, *args, timeout: float | None = None, **kwargs):
        """``module.function(*args, **kwargs)`` in the worker; the result as data."""
        request = {
            "op": "call",
            "module": module,
            "function": function,
            "args": list(args),
            "kwargs": kwargs,
        }
        where = f"{module}.{function}"
        return self._request(request, where, timeout, where, module)

    def scenario(self, name: str, *args, timeout: float | None = None, **kwargs):
        """``lstm_lab.grading.scenarios.<name>(modules, *args, **kwargs)`` in the worker."""
        where = kwargs.pop("where", None) or name
        request = {"op": "scenario", "name": name, "args": list(args), "kwargs": kwargs}
        key = name + (f"({args[0]})" if args and isinstance(args[0], str) else "")
        return self._request(request, where, timeout, key, None)

    def ping(self, timeout: float = 60.0) -> bool:
        """Start the worker if needed and check it answers."""
        return self._request({"op": "ping"}, "ping", timeout, "ping", None) == "pong"

    @property
    def pid(self) -> int | None:
        """The worker's process id, if one runs."""
        return None if self._proc is None else self._proc.pid


class Relay:
    """Answer a target worker's questions with the solutions' worker, for allowed names only.

    ``Relay(reference, allow=["ex03_labels.stateful_batches", "ex04_stateful.ResetStatesEvery"])``
    passed as ``TargetProxy(..., callbacks=...)`` lets the target's scenarios use
    ``worker.reference_function``/``reference_model_function``/``reference_builder``/
    ``reference_callback`` for those
    names: functions answer with the reference's result; functions of a model and callbacks run
    in the reference's worker on a mirror of the target's model and act on it through actions.
    Nothing else can be asked, so a submission cannot make the judge run the reference on its
    behalf beyond what the scenario offers.
    """

    #: The questions that name a reference function or class, and the field that names it.
    _NAMED = {"call": "function", "new": "name", "build": "function", "apply": "function"}

    def __init__(self, reference: TargetProxy, allow):
        self.reference = reference
        self.allow = {tuple(name.split(".", 1)) for name in allow}
        self._objects: set[int] = set()

    def __call__(self, question):
        if not isinstance(question, dict):
            raise ValueError("a question is a dict")
        op = question.get("op")
        if op in self._NAMED:
            field = self._NAMED[op]
            name = (question.get("module"), question.get(field))
            self._check(name)
            if op == "call":
                return self.reference.call(
                    *name, *(question.get("args") or []), **(question.get("kwargs") or {})
                )
            request = {"op": op, "module": name[0], field: name[1]}
            if op == "apply":
                request["mirror"] = question.get("mirror")
            else:
                request["args"] = list(question.get("args") or [])
                request["kwargs"] = dict(question.get("kwargs") or {})
            answer = self.reference._request(request, ".".join(name), None, op, None)
            if op == "new":
                self._objects.add(int(answer["id"]))
            return answer
        if op == "invoke":
            number = question.get("id")
            if number not in self._objects:
                raise ValueError("no such object")
            request = {
                "op": "invoke",
                "id": number,
                "method": str(question.get("method")),
                "args": list(question.get("args") or []),
                "kwargs": dict(question.get("kwargs") or {}),
                "mirror": question.get("mirror"),
            }
            if not request["method"].startswith("on_"):
                raise ValueError("only callback hooks may be invoked")
            return self.reference._request(request, "invoke", None, "invoke", None)
        raise ValueError(f"unknown question {op!r}")

    def _check(self, name) -> None:
        if name not in self.allow:
            raise PermissionError(f"the judge does not answer for {'.'.join(map(str, name))}")


def _uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _failure(error: dict, where: str) -> errors.GradingFailure:
    kind = error.get("kind")
    where = error.get("where", where) if isinstance(error.get("where", where), str) else where
    if kind == "missing":
        return errors.MissingModule(str(error.get("module", where.split(".")[0])))
    if kind == "import":
        return errors.ImportFailed(
            str(error.get("module", where)),
            str(error.get("type", "Exception")),
            str(error.get("message", "")),
            str(error.get("traceback", "")),
        )
    if kind == "attribute":
        return errors.NotImplementedYet(where, "the function is missing from the module")
    if kind == "notimpl":
        return errors.NotImplementedYet(where)
    if kind == "unsendable":
        return errors.StudentError(
            where,
            "TypeError",
            ["TypeError", "Exception"],
            f"returned something that is not plain data ({error.get('message', '')}); "
            "return NumPy arrays, numbers, lists, tuples or dicts",
            "",
        )
    mro = error.get("mro", [])
    return errors.StudentError(
        where,
        str(error.get("type", "Exception")),
        [str(m) for m in mro] if isinstance(mro, list) else [],
        str(error.get("message", "")),
        str(error.get("traceback", "")),
    )
