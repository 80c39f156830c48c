"""The judge's handle on a target: every call runs in a worker process, results come back as data.

    target = TargetProxy("exercises")
    Xw, yw = target.call("ex02_windows", "sliding_windows", X, y, 10)
    probe = target.scenario("stateful_classifier_probe", batch_size=10, chunk=5)

A call that the target fails raises a subclass of ``errors.GradingFailure`` (an
``AssertionError``). A worker that dies or overruns its time limit is killed (with everything it
started) and a fresh one is started at the next call, so one broken function costs only its own
tests.

How much time a call may take (``settings``):

- its own ``timeout`` (the ``call_timeout`` setting otherwise), capped by ``call_timeout_max``;
  importing a target module is timed apart (``import_timeout``), so the first call of a module
  does not pay for the import;
- a function whose call ran out of time is not called again in this grade, and a module whose
  import ran out of time is not imported again (``errors.NotCalledAgain``): a loop that never
  ends costs one time limit, not one per test;
- ``budget.BUDGET`` (started by the grading plugin) bounds the whole grade and each exercise's
  share of it (``errors.OutOfTime``), so a slow exercise cannot starve the others.

Workers are started by ``spawn`` (forked from the zygote, or fresh interpreters). A worker that
grew by ``recycle_mb`` is replaced between calls. Untrusted targets run in the sandbox the grade
command set (``sandbox``); the solutions never do.

Questions from a worker during a call (``channel.ask_judge``) are answered by the proxy's
``callbacks``; ``relay.Relay`` answers them with the solutions' worker, for the names it allows.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path

from ..target import package_name, resolve
from . import budget, codec, errors, host, sandbox, settings, spawn, wire
from .budget import BUDGET
from .relay import RELAYED, Relay

#: A worker whose memory grew by more than this many MB since it started is replaced before the
#: next call (TensorFlow keeps about 10 MB per model trained; a worker that trains dozens of
#: models would otherwise hold hundreds of MB). The ``recycle_mb`` setting; 0 turns it off.
DEFAULT_RECYCLE_MB = 200
#: How much of the worker's stderr a crash report quotes.
STDERR_TAIL = 2000
#: Lines of library noise left out of the quoted stderr.
_NOISE = re.compile(r"^(I0000|W0000|E0000|WARNING: All log messages before absl)")
#: Answers that the same call would give again, whatever its arguments, for the rest of a test:
#: the module is missing, does not import, lacks the function, or the function raises
#: NotImplementedError (a stub). Hypothesis shrinks a failing example with hundreds of calls;
#: answering those here, without a round trip to the worker, took a grade of the stubs from 44
#: to 7 s. Only within one test: a function that raises NotImplementedError for some
#: inputs only is called again by the next test.
_SAME_EVERY_TIME = ("missing", "import", "attribute", "notimpl")
_live: weakref.WeakSet = weakref.WeakSet()


def close_all() -> None:
    """Stop every worker and the zygote of this judge, and whatever they left behind."""
    for proxy in list(_live):
        proxy.close()
    spawn.close()
    # Not "every process of the workers' user": another judge on this machine may be grading.


class _Call:
    """The clock of one request: its deadline, and the import it may be waiting for."""

    def __init__(self, seconds: float, left: float, import_limit: float):
        self.start = time.monotonic()
        self.limit_end = self.start + left
        self.deadline = min(self.start + seconds, self.limit_end)
        self.waiting = self.deadline
        self.import_limit = import_limit
        self.importing: str | None = None
        self.import_start = 0.0
        self.imported = False

    def note(self, note: dict) -> None:
        """The worker began or ended importing a module: time the import apart."""
        now = time.monotonic()
        if isinstance(note.get("importing"), str) and self.importing is None:
            self.importing, self.import_start = note["importing"], now
            self.waiting = min(now + self.import_limit, self.limit_end)
        elif "imported" in note and self.importing is not None:
            self.deadline = min(self.deadline + (now - self.import_start), self.limit_end)
            self.importing, self.waiting, self.imported = None, self.deadline, True


# -- the proxy -------------------------------------------------------------------------------------
class TargetProxy:
    """Run a target's functions in a worker subprocess.

    Parameters
    ----------
    target : str or Path
        The target directory (or ``"solutions"``/``"exercises"``).
    timeout : float
        Default seconds per call (the ``call_timeout`` setting otherwise).
    env : dict, optional
        Extra environment variables for the worker.
    callbacks : callable, optional
        Answers the worker's questions during a call (``channel.ask_judge``): called with the
        question (data), returns data. ``relay.Relay(reference, allow=...)`` answers with the
        solutions. Without it every question is refused.
    """

    def __init__(self, target, *, timeout: float | None = None, env=None, callbacks=None):
        self.path = resolve(target)
        self.timeout = float(settings.current().call_timeout if timeout is None else timeout)
        self.extra_env = dict(env or {})
        self.callbacks = callbacks
        self.restarts = 0
        self.policy = sandbox.Policy.from_settings()
        self.trusted = sandbox.is_trusted(self.path)
        self.caged = self.policy.enabled and not self.trusted
        self._proc = None
        self._stderr = None
        self._workdir: tempfile.TemporaryDirectory | None = None
        self._staged: tempfile.TemporaryDirectory | None = None
        self._worker_path: Path | None = None
        self._jail: host.Jail | None = None
        self._watch: host.RssWatch | None = None
        self._req = self._resp = -1
        self._rss_start = 0
        #: The exercise module whose tests the running worker serves (``None``: any).
        self._module: str | None = None
        self._broken: dict[str, tuple[str, float]] = {}
        self._broken_modules: dict[str, tuple[str, float]] = {}
        self._strikes: dict[str, int] = {}
        self._unimplemented: dict[str, tuple[int, dict]] = {}  # key -> (test, error)
        self._lock = threading.RLock()  # one request at a time, whichever thread asks
        _live.add(self)

    # -- the worker's life -------------------------------------------------------------------
    def _target_for_worker(self) -> Path:
        if self._worker_path is None:
            if self.caged:
                self._worker_path, self._staged = sandbox.stage_target(self.path, self.policy)
            else:
                self._worker_path = self.path
        return self._worker_path

    def _spec(self) -> dict:
        """What the next worker becomes: its directory, environment, user and limits."""
        self._workdir = tempfile.TemporaryDirectory(prefix="lstm_lab_worker_")
        env = dict(spawn.environment(), **self.extra_env)
        if self.caged:
            sandbox.prepare_workdir(self._workdir.name, self.policy)
            env.update(HOME=self._workdir.name, TMPDIR=self._workdir.name)
            env["MPLCONFIGDIR"] = self._workdir.name
            env["KERAS_HOME"] = os.path.join(self._workdir.name, ".keras")
        drops = self.caged and self.policy.drops
        target = self._target_for_worker()
        plan = sandbox.confine_plan(target, self._workdir.name, self.policy) if self.caged else None
        return spawn.worker_spec(
            target,
            self._workdir.name,
            env,
            uid=self.policy.uid if drops else None,
            gid=self.policy.gid if drops else None,
            limits=self.policy.child_limits() if self.caged else {"core": 0},
            confine=plan,
            reference_siblings=self._module in RELAYED and isinstance(self.callbacks, Relay),
        )

    def _worker_module(self) -> str | None:
        """The exercise whose tests are running: each gets a worker of its own (forked from the
        zygote: cheap), so what one module leaves in the interpreter (hooks, patched modules,
        threads, signal handlers) cannot reach another module's tests. The solutions share one."""
        return None if self.trusted else BUDGET.exercise

    def _start(self) -> None:
        self._module = self._worker_module()
        spec = self._spec()
        if self._stderr is not None:
            self._stderr.close()
        self._stderr = tempfile.TemporaryFile()
        if self.caged:
            if self._jail is None:
                self._jail = host.Jail(self.policy)  # kept across restarts, removed at close
            spawn.subreaper()
        forkable = spawn.forkable(self.extra_env)
        self._proc, self._req, self._resp = spawn.start(spec, self._stderr, forkable=forkable)
        if self._jail is not None:
            try:
                self._jail.enter(self._proc.pid)
            except OSError:
                pass
            self._jail.mark()
        self._rss_start = host.rss_anon(self._proc.pid)
        if self.caged and self.policy.memory == "rlimit+poll" and self.policy.memory_mb:
            self._watch = host.RssWatch(self._proc.pid, self.policy.memory_mb)
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

    def _restart(self) -> None:
        """Kill the worker after a failure, and count it: the next call starts a fresh one."""
        self._kill()
        self.restarts += 1
        spawn.STATS["restarts"] += 1

    def _stop_gently(self) -> None:
        """End the worker's input so it leaves its loop, then make sure it is gone."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.close(self._req)
                self._req = -1
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

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
        self._stop_gently()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._staged is not None:
            self._staged.cleanup()
            self._staged, self._worker_path = None, None
        if self._jail is not None:
            self._jail.close()
            self._jail = None

    def __repr__(self) -> str:
        # Hypothesis quotes it in failing examples: no address and no path (a grader's temporary
        # folder), so that a message reads the same in every grade of the same submission.
        return "TargetProxy(<the target>)" if not self.trusted else "TargetProxy(<reference>)"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:
            pass

    # -- after each call -------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._watch is not None:
            self._watch()

    def _sweep(self) -> None:
        """Kill what the worker started and left running: no process outlives a call."""
        with spawn.PROCESSES:
            worker = self._proc.pid
            strays = set()
            if self._jail is not None and self._jail.groups:
                strays |= self._jail.pids()
            strays |= set(host.tree(worker))
            if self.policy.drops:  # orphans the judge adopted, recognised by their user
                strays |= {p for p in host.children(os.getpid()) if _uid(p) == self.policy.uid}
                strays -= {proxy.pid for proxy in list(_live) if proxy.pid is not None}
            strays.discard(worker)
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if strays:
                host.reap()

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
        self._restart()
        return errors.WorkerCrashed(where, returncode, tail, reason)

    def _maybe_recycle(self) -> None:
        """Replace a worker that has grown too big (its next call starts a fresh one)."""
        limit = settings.current().recycle_mb
        limit = DEFAULT_RECYCLE_MB if limit is None else limit
        if not limit or self._proc is None:
            return
        if host.rss_anon(self._proc.pid) - self._rss_start <= limit * 2**20:
            return
        self._stop_gently()
        spawn.STATS["recycled"] += 1

    def _strike(self, key: str, what: str) -> None:
        self._strikes[key] = self._strikes.get(key, 0) + 1
        if self._strikes[key] >= settings.current().crash_limit:
            self._broken[key] = (f"{what} in {self._strikes[key]} calls", 0.0)

    # -- requests ------------------------------------------------------------------------------
    def request(self, request: dict, where: str, *, timeout=None, key=None, module=None):
        """Send ``request`` to the worker and return its ``ok`` value (data).

        ``where`` names the call in messages; ``key`` is what a timeout or repeated crash strikes
        out (default ``where``); ``module`` the exercise module whose import it may wait for.
        """
        with self._lock:
            return self._request_now(request, where, timeout, key or where, module)

    def _request_now(self, request, where: str, timeout, key: str, module):
        self._refuse_known(where, key, module)
        settings_ = settings.current()
        seconds = self.timeout if timeout is None else float(timeout)
        if settings_.call_timeout_max is not None:
            seconds = min(seconds, settings_.call_timeout_max)
        charged = not self.trusted
        left, scope = BUDGET.remaining(charged, key)
        if left <= 0:
            raise self._out_of_time(where, scope)
        if self._proc is not None and self._module != self._worker_module():
            self._stop_gently()  # another exercise's worker: it serves its own tests only
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self._restart()
            self._start()
        call = _Call(seconds, left, settings_.import_timeout)
        pid = self._proc.pid
        cpu_before = _cpu_seconds(pid)
        try:
            answer = self._exchange(request, call)
        except wire.WireTimeout:
            raise self._timed_out(where, key, call, seconds, left, scope) from None
        except (wire.WireClosed, OSError):
            crash = self._crash(where)
            self._strike(key, "the process running it died")
            raise crash from None
        except ValueError as exc:
            self._restart()
            self._strike(key, "it sent malformed answers")
            raise errors.ProtocolError(
                f"{where}: the worker sent a malformed answer ({exc})"
            ) from None
        finally:
            if charged:
                cpu_after = _cpu_seconds(pid)
                used = None if None in (cpu_before, cpu_after) else cpu_after - cpu_before
                BUDGET.charge(time.monotonic() - call.start, key, used)
            if self.caged and self._proc is not None:
                self._sweep()
        return self._conclude(answer, where, key, call)

    def _refuse_known(self, where: str, key: str, module) -> None:
        """Answer at once what this grade already knows: a module or function struck out, a
        function not implemented in this very test."""
        if module in self._broken_modules:
            reason, seconds = self._broken_modules[module]
            raise errors.NotCalledAgain(where, reason, seconds)
        if key in self._broken:
            reason, seconds = self._broken[key]
            raise errors.NotCalledAgain(where, reason, seconds)
        test, error = self._unimplemented.get(key, (0, None))
        if error is not None and test == budget.test_number():
            raise self._failure(error, where)

    def _exchange(self, request: dict, call: _Call) -> dict:
        """Write the request, answer the worker's notes and questions, return its answer."""
        wire.write_frame(self._req, codec.encode(request), call.deadline, self._tick)
        limit = codec.max_message()
        while True:
            frame = wire.read_frame(self._resp, call.waiting, limit, self._tick)
            message = codec.decode(frame)
            if not isinstance(message, dict):
                raise ValueError("the answer is not a dict")
            if "note" in message and isinstance(message["note"], dict):
                call.note(message["note"])
                continue
            if "callback" in message:
                reply = self._answer(message["callback"])
                wire.write_frame(
                    self._req, codec.encode({"reply": reply}), call.waiting, self._tick
                )
                continue
            return message

    def _timed_out(self, where, key, call: _Call, seconds, left, scope) -> errors.CallTimeout:
        """The failure for a call that overran: the grade's or exercise's time, an import, or
        the call's own limit (the function is then not called again)."""
        self._restart()
        if time.monotonic() >= call.limit_end - 0.01 and scope is not None and left < seconds:
            return self._out_of_time(where, scope)
        if call.importing is not None:
            module, limit = call.importing, call.import_limit
            self._broken_modules[module] = (
                f"importing {module}.py did not finish within {limit:g} s",
                limit,
            )
            return errors.CallTimeout(
                where,
                limit,
                f"{where}: importing {module}.py did not finish within {limit:g} s and was "
                "stopped. Hint: does the module run a loop, or train, when it is imported? Keep "
                "module level code to definitions.",
            )
        self._broken[key] = (
            f"a call of {key} did not return within {seconds:g} s",
            seconds,
        )
        return errors.CallTimeout(where, seconds)

    @staticmethod
    def _out_of_time(where: str, scope: str) -> errors.OutOfTime:
        """The grade, an exercise or one function (its share) used up its time."""
        if scope and "." in scope:
            exercise = scope.split(".", 1)[0]
            of = f"{exercise} ({BUDGET.exercise_limit(exercise):g} s)"
            return errors.OutOfTime(where, round(BUDGET.limit_of(scope), 1), scope, of)
        return errors.OutOfTime(where, BUDGET.limit_of(scope), scope)

    def _conclude(self, answer: dict, where: str, key: str, call: _Call):
        """The answer's value, or the target's failure; recycles a worker grown too big."""
        if not ("ok" in answer or "error" in answer):
            self._restart()
            raise errors.ProtocolError(f"{where}: the worker sent a malformed answer")
        if call.imported:  # what an import takes is not growth: measure from here on
            self._rss_start = host.rss_anon(self._proc.pid) if self._proc else 0
        self._maybe_recycle()
        if "error" in answer:
            error = answer["error"]
            if budget.test_number() and isinstance(error, dict):
                if error.get("kind") in _SAME_EVERY_TIME:
                    self._unimplemented[key] = (budget.test_number(), error)
            raise self._failure(error, where)
        return answer["ok"]

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
            if isinstance(self.callbacks, Relay):
                value = self.callbacks(question, asker=self._module)
            else:
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
        failure = errors.from_answer(error if isinstance(error, dict) else {}, where)
        if self._worker_path is not None and self._worker_path != self.path:
            # The staged copy's folder and package name read as the target's own: the same
            # submission's messages read the same whatever temporary folder it was staged in.
            pairs = [
                (str(self._worker_path), str(self.path)),
                (package_name(self._worker_path), package_name(self.path)),
            ]

            def real(text):
                for staged, own in pairs:
                    text = text.replace(staged, own)
                return text

            failure.args = tuple(real(a) if isinstance(a, str) else a for a in failure.args)
            for name in ("message", "traceback"):
                if isinstance(getattr(failure, name, None), str):
                    setattr(failure, name, real(getattr(failure, name)))
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
        return self.request(request, where, timeout=timeout, module=module)

    def scenario(self, name: str, *args, timeout: float | None = None, **kwargs):
        """``lstm_lab.grading.scenarios.<name>(modules, *args, **kwargs)`` in the worker.

        Messages name the target's function the scenario runs (``scenario_call``), never the
        probe; a timeout or repeated crash strikes out that function."""
        key, call = scenario_call(name, args, kwargs)
        where = kwargs.pop("where", None) or call
        request = {"op": "scenario", "name": name, "args": list(args), "kwargs": kwargs}
        return self.request(request, where, timeout=timeout, key=key)

    def ping(self, timeout: float = 60.0) -> bool:
        """Start the worker if needed and check it answers."""
        return self.request({"op": "ping"}, "ping", timeout=timeout) == "pong"

    @property
    def pid(self) -> int | None:
        """The worker's process id, if one runs."""
        return None if self._proc is None else self._proc.pid


#: The target's function each scenario runs: ``(module, function)``; ``None`` for the function:
#: the scenario's first argument names it (the trainers).
SCENARIO_CALLS = {
    "regressor_probe": ("ex01_lifecycle", "build_regressor"),
    "lifecycle_probe": ("ex01_lifecycle", "run_lifecycle"),
    "stateful_classifier_probe": ("ex04_stateful", "build_stateful_classifier"),
    "classifier_behaviour_probe": ("ex04_stateful", "build_stateful_classifier"),
    "reset_states_probe": ("ex04_stateful", "reset_states"),
    "reset_callback_probe": ("ex04_stateful", "ResetStatesEvery"),
    "stateful_pass_probe": ("ex04_stateful", "ResetStatesEvery"),
    "train_probe": ("ex05_training", None),
    "train_inputs_probe": ("ex05_training", None),
    "train_on_reference_probe": ("ex05_training", None),
}
_TRAINER_ARGS = "X_train, y_train, X_val, y_val"


def scenario_call(name: str, args, kwargs) -> tuple[str, str]:
    """``(key, call)`` for a scenario: the target's ``module.function`` it runs, and the call as
    a student would write it (``ex05_training.train_stateful(X_train, y_train, X_val, y_val,
    batch_size=10, chunk=5, seed=0)`` for a trainer). A scenario not in ``SCENARIO_CALLS``
    is named by the exercise being graded."""
    if name == "call_checking_inputs" and len(args) >= 2:
        key = f"{args[0]}.{args[1]}"
        return key, key
    module, function = SCENARIO_CALLS.get(name, (BUDGET.exercise, None))
    if function is None and module == "ex05_training" and args and isinstance(args[0], str):
        key = f"{module}.{args[0]}"
        named = ", ".join(
            f"{k}={v!r}" for k, v in kwargs.items() if isinstance(v, (int, float, str, bool))
        )
        return key, f"{key}({_TRAINER_ARGS}{', ' + named if named else ''})"
    if function is None:
        key = f"{module or 'the target'}'s code (checked by {name})"
        return key, key
    key = f"{module}.{function}"
    return key, key


def _cpu_seconds(pid: int) -> float | None:
    """The CPU seconds (user and system, every thread) process ``pid`` has used, or ``None``."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
