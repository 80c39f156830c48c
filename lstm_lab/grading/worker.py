"""The worker: the only process that imports a target's code.

Started by ``proxy.TargetProxy`` as ``python -m lstm_lab.grading.worker TARGET IN_FD OUT_FD``.
It reads requests from ``IN_FD`` and answers each on ``OUT_FD``; what the target prints goes to
stderr (the judge keeps the tail of it for crash reports), never into the protocol.

Requests (decoded by ``codec``):
    {"op": "call", "module": m, "function": f, "args": [...], "kwargs": {...}}
    {"op": "scenario", "name": s, "args": [...], "kwargs": {...}}
    {"op": "ping"}
Answers: {"ok": value} or {"error": {"kind": ..., ...}} with kind one of
    "missing" (no such module), "import" (importing it raised), "attribute" (no such function),
    "notimpl" (NotImplementedError), "raised" (any other exception), "unsendable" (the result
    is not data).
"""

from __future__ import annotations

import os
import sys
import traceback as tb

from . import codec, wire

#: How many traceback lines a student sees: enough to find the line, not a wall of Keras.
TRACEBACK_LIMIT = 12


class Modules:
    """The target's exercise modules, imported on first use and remembered (errors too)."""

    def __init__(self, target: str):
        self.target = target
        self._errors: dict[str, dict] = {}

    def get(self, name: str):
        from ..target import load_module

        if name in self._errors:
            raise _Answer(self._errors[name])
        try:
            return load_module(self.target, name)
        except ModuleNotFoundError as exc:
            if getattr(exc, "name", None) == name:
                error = {"kind": "missing", "module": name}
            else:
                error = _describe(exc, "import", module=name)
        except BaseException as exc:  # noqa: BLE001 - anything an import can raise
            error = _describe(exc, "import", module=name)
        self._errors[name] = error
        raise _Answer(error)


class _Answer(Exception):
    """Carries an error answer out of nested code."""

    def __init__(self, error: dict):
        super().__init__(error.get("kind"))
        self.error = error


def _short_traceback(exc: BaseException) -> str:
    frames = tb.extract_tb(exc.__traceback__)
    # Keep the frames of the target and of its direct callees, drop the worker's own.
    frames = [
        f for f in frames if "lstm_lab/grading/worker.py" not in f.filename.replace("\\", "/")
    ]
    lines = tb.format_list(frames[-TRACEBACK_LIMIT:])
    return "".join(lines).rstrip()


def _describe(exc: BaseException, kind: str, **extra) -> dict:
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": str(exc)[:2000],
        "traceback": _short_traceback(exc),
        **extra,
    }


def handle(request: dict, modules: Modules):
    """Run one request; return the answer dict."""
    op = request.get("op")
    if op == "ping":
        return {"ok": "pong"}
    args = request.get("args") or []
    kwargs = request.get("kwargs") or {}
    try:
        if op == "call":
            module = modules.get(request["module"])
            function = getattr(module, request["function"], None)
            if function is None:
                return {"error": {"kind": "attribute", "module": request["module"]}}
            result = function(*args, **kwargs)
        elif op == "scenario":
            from . import scenarios

            result = getattr(scenarios, request["name"])(modules, *args, **kwargs)
        else:
            return {"error": {"kind": "protocol", "message": f"unknown op {op!r}"}}
    except _Answer as answer:
        return {"error": answer.error}
    except NotImplementedError as exc:
        return {"error": _describe(exc, "notimpl")}
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        return {"error": _describe(exc, "raised")}
    return {"ok": result}


def serve(target: str, in_fd: int, out_fd: int) -> None:
    modules = Modules(target)
    while True:
        try:
            request = codec.decode(wire.read_frame(in_fd))
        except wire.WireClosed:
            return
        answer = handle(request, modules)
        try:
            message = codec.encode(answer)
        except (TypeError, ValueError) as exc:
            message = codec.encode(
                {"error": {"kind": "unsendable", "message": str(exc), "type": "TypeError"}}
            )
        wire.write_frame(out_fd, message)


def main(argv: list[str]) -> None:
    target, in_fd, out_fd = argv[0], int(argv[1]), int(argv[2])
    os.dup2(2, 1)  # print() from the target lands in stderr, never in the protocol
    sys.stdout = sys.stderr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    serve(target, in_fd, out_fd)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
