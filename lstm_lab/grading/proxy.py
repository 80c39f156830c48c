"""The judge's handle on a target: every call runs in a worker process, results come back as data.

    target = TargetProxy("exercises")
    Xw, yw = target.call("ex02_windows", "sliding_windows", X, y, 10)
    probe = target.scenario("stateful_classifier_probe", batch_size=10, chunk=5)

A call that the target fails raises a subclass of ``errors.GradingFailure`` (an
``AssertionError``). A worker that dies or overruns its time limit is killed (with everything it
started) and a fresh one is started at the next call, so one broken function costs only its own
tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..target import resolve
from . import codec, errors, wire

#: Seconds one call may take unless the caller says otherwise.
DEFAULT_TIMEOUT = float(os.environ.get("LSTM_LAB_CALL_TIMEOUT", 120))
#: How much of the worker's stderr a crash report quotes.
STDERR_TAIL = 2000


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
    """

    def __init__(self, target, *, timeout: float = DEFAULT_TIMEOUT, env: dict | None = None):
        self.path = resolve(target)
        self.timeout = float(timeout)
        self.extra_env = dict(env or {})
        self._proc: subprocess.Popen | None = None
        self._stderr = None
        self._workdir: tempfile.TemporaryDirectory | None = None
        self.restarts = 0

    # -- the worker's life -------------------------------------------------------------------
    def _environment(self) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_", "LSTM_LAB_TARGET", "COV_"))
        }
        package_root = str(Path(__file__).resolve().parents[2])
        env.update(
            TF_CPP_MIN_LOG_LEVEL="3",
            PYTHONHASHSEED="0",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONSAFEPATH="1",  # never put the worker's cwd on sys.path
            PYTHONPATH=package_root,  # find lstm_lab itself even when it is not installed
        )
        env.update(self.extra_env)
        return env

    def _start(self) -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        self._workdir = tempfile.TemporaryDirectory(prefix="lstm_lab_worker_")
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lstm_lab.grading.worker",
                    str(self.path),
                    str(req_r),
                    str(resp_w),
                ],
                pass_fds=(req_r, resp_w),
                stdin=subprocess.DEVNULL,
                stdout=self._stderr,
                stderr=self._stderr,
                cwd=self._workdir.name,
                env=self._environment(),
                start_new_session=True,  # so a kill reaches everything it started
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._req, self._resp = req_w, resp_r

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        for fd in (self._req, self._resp):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - STDERR_TAIL))
        return self._stderr.read().decode(errors="replace").strip()

    def close(self) -> None:
        """Stop the worker (a later call starts a new one)."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.close(self._req)  # end of input: the worker leaves its loop
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

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
    def _request(self, request: dict, where: str, timeout: float | None):
        seconds = self.timeout if timeout is None else float(timeout)
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self._kill()
                self.restarts += 1
            self._start()
        deadline = time.monotonic() + seconds
        try:
            wire.write_frame(self._req, codec.encode(request), deadline)
            answer = codec.decode(wire.read_frame(self._resp, deadline, codec.MAX_MESSAGE))
        except wire.WireTimeout:
            self._kill()
            self.restarts += 1
            raise errors.CallTimeout(where, seconds) from None
        except (wire.WireClosed, OSError):
            returncode = self._proc.wait() if self._proc else None
            tail = self._stderr_tail()
            self._kill()
            self.restarts += 1
            raise errors.WorkerCrashed(where, returncode, tail) from None
        except ValueError as exc:
            self._kill()
            raise errors.ProtocolError(f"{where}: the worker sent a malformed answer ({exc})")
        if not isinstance(answer, dict) or not ("ok" in answer or "error" in answer):
            self._kill()
            raise errors.ProtocolError(f"{where}: the worker sent a malformed answer")
        if "error" in answer:
            raise _failure(answer["error"], where)
        return answer["ok"]

    def call(self, module: str, function: str, *args, timeout: float | None = None, **kwargs):
        """``module.function(*args, **kwargs)`` in the worker; the result as data."""
        request = {
            "op": "call",
            "module": module,
            "function": function,
            "args": list(args),
            "kwargs": kwargs,
        }
        return self._request(request, f"{module}.{function}", timeout)

    def scenario(self, name: str, *args, timeout: float | None = None, **kwargs):
        """``lstm_lab.grading.scenarios.<name>(modules, *args, **kwargs)`` in the worker."""
        where = kwargs.pop("where", None) or name
        request = {"op": "scenario", "name": name, "args": list(args), "kwargs": kwargs}
        return self._request(request, where, timeout)

    def ping(self, timeout: float = 60.0) -> bool:
        """Start the worker if needed and check it answers."""
        return self._request({"op": "ping"}, "ping", timeout) == "pong"


def _failure(error: dict, where: str) -> errors.GradingFailure:
    kind = error.get("kind")
    where = error.get("where", where)
    if kind == "missing":
        return errors.MissingModule(error.get("module", where.split(".")[0]))
    if kind == "import":
        return errors.ImportFailed(
            error.get("module", where),
            error.get("type", "Exception"),
            error.get("message", ""),
            error.get("traceback", ""),
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
    return errors.StudentError(
        where,
        str(error.get("type", "Exception")),
        list(error.get("mro", [])),
        str(error.get("message", "")),
        str(error.get("traceback", "")),
    )
