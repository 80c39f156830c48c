"""The worker: the only process that imports a target's code.

Started by ``spawn`` (forked from the zygote, or as ``python -m lstm_lab.grading.worker SPEC
IN_FD OUT_FD``), it first becomes what its spec says (``become``: limits, user), then reads
requests from ``IN_FD`` and answers each on ``OUT_FD`` (``channel``); what the target prints
goes to stderr (the judge keeps the tail of it for crash reports), never into the protocol.

Requests (decoded by ``codec``):
    {"op": "call", "module": m, "function": f, "args": [...], "kwargs": {...}}
    {"op": "scenario", "name": s, "args": [...], "kwargs": {...}}
    {"op": "new" | "invoke" | "apply" | "build" | "drop", ...}   (the solutions' side of a relay:
                                                             ``relay.REFERENCE_OPS``)
    {"op": "ping"}
Answers: {"ok": value} or {"error": {"kind": ..., ...}} with kind one of
    "missing" (no such module), "import" (importing it raised), "attribute" (no such function),
    "notimpl" (NotImplementedError), "raised" (any other exception), "unsendable" (the result
    is not data).

While it works on a request the worker may also send notes and questions (``channel``); the
questions are how ex05 runs on the reference's pieces (``relay``).
"""

from __future__ import annotations

import json
import os
import sys
import traceback as tb

from . import channel, codec, wire
from .relay import REFERENCE_OPS

#: How many traceback lines a student sees: enough to find the line, not a wall of Keras.
TRACEBACK_LIMIT = 12


class Modules:
    """The target's exercise modules, imported on first use and remembered (errors too).

    With ``reference_siblings``, the modules that ex05 builds on are the reference's pieces
    (``relay.stand_in_modules``), put in place before any of the target's code is imported: the
    student's ex02-ex04 never run in this worker (not even their module level code).
    """

    def __init__(self, target: str, reference_siblings: bool = False):
        self.target = target
        self._errors: dict[str, dict] = {}
        self._stand_ins: dict = {}
        if reference_siblings:
            self._stand_ins = _install_stand_ins(target)

    def get(self, name: str):
        from ..target import MODULES, load_module, package_name, resolve

        if name in self._stand_ins:
            return self._stand_ins[name]
        if name in self._errors:
            raise _Answer(self._errors[name])
        full = f"{package_name(resolve(self.target))}.{name}"
        first = full not in sys.modules and name in MODULES
        if first:
            channel.note({"importing": name})
        try:
            module = load_module(self.target, name)
        except ModuleNotFoundError as exc:
            missing = str(getattr(exc, "name", None) or "").rpartition(".")[2]
            if missing == name:
                error = {"kind": "missing", "module": name}
            elif missing in MODULES:  # a sibling it imports is not in the submission
                error = {"kind": "import", "module": name, "missing_sibling": missing}
            else:
                error = _describe(exc, "import", module=name)
        except BaseException as exc:  # noqa: BLE001 - anything an import can raise
            error = _describe(exc, "import", module=name, **_sibling(exc, self.target, name))
        else:
            if first:
                channel.note({"imported": name})
            return module
        if first:
            channel.note({"imported": name})
        self._errors[name] = error
        raise _Answer(error)


def _sibling(exc: BaseException, target: str, name: str) -> dict:
    """``{"sibling": m}`` when importing ``name`` failed inside another exercise module ``m`` of
    the target (ex05 imports ex03, which does not parse): the failure is ``m``'s, and says so."""
    from ..target import MODULES, resolve

    files = [getattr(exc, "filename", None) or ""]
    frame = exc.__traceback__
    while frame is not None:
        files.append(frame.tb_frame.f_code.co_filename)
        frame = frame.tb_next
    root = str(resolve(target))
    for path in reversed(files):
        stem = os.path.basename(path)[:-3] if path.endswith(".py") else ""
        if os.path.dirname(path) == root and stem in MODULES and stem != name:
            return {"sibling": stem}
    return {}


def _install_stand_ins(target: str) -> dict:
    """Put the reference's pieces in place of the target's siblings, in ``sys.modules``."""
    from ..target import load_package
    from .relay import stand_in_modules

    package = load_package(target, run_init=False)  # a package __init__ could import them
    made = stand_in_modules(package.__name__)
    for home, module in made.items():
        sys.modules[module.__name__] = module
        setattr(package, home, module)
    return made


class _Answer(Exception):
    """Carries an error answer out of nested code."""

    def __init__(self, error: dict):
        super().__init__(error.get("kind"))
        self.error = error


def _short_traceback(exc: BaseException) -> str:
    frames = tb.extract_tb(exc.__traceback__)
    # Keep the frames of the target and of its direct callees, drop the grader's own (the
    # worker, the probes that called the target): they mean nothing to a student.
    frames = [f for f in frames if "lstm_lab/grading/" not in f.filename.replace("\\", "/")]
    lines = tb.format_list(frames[-TRACEBACK_LIMIT:])
    return "".join(lines).rstrip()


def _describe(exc: BaseException, kind: str, **extra) -> dict:
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = "(the exception's message could not be read)"
    trace = _short_traceback(exc)
    if isinstance(exc, SyntaxError) and type(exc).__module__ == "builtins":
        message, trace = _syntax(exc), ""  # the file, line and caret; importlib's frames are noise
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": message,
        "traceback": trace,
        **extra,
    }


def _syntax(exc: SyntaxError) -> str:
    """``expected ':' in ex02_windows.py, line 14:`` with the line and a caret under the place."""
    where = os.path.basename(exc.filename or "") or "the module"
    text = f"{exc.msg} in {where}, line {exc.lineno}"
    if exc.text:
        line = exc.text.rstrip("\n")
        caret = " " * max(0, (exc.offset or 1) - 1 - (len(line) - len(line.lstrip()))) + "^"
        text += f":\n    {line.strip()}\n    {caret}"
    return text


# -- serving ---------------------------------------------------------------------------------------
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
        elif op in REFERENCE_OPS:
            result = REFERENCE_OPS[op](modules, request)
        else:
            return {"error": {"kind": "protocol", "message": f"unknown op {op!r}"}}
    except _Answer as answer:
        return {"error": answer.error}
    except NotImplementedError as exc:
        return {"error": _describe(exc, "notimpl", **_where(exc, op, modules))}
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        return {"error": _describe(exc, "raised", **_where(exc, op, modules))}
    return {"ok": result}


def _where(exc: BaseException, op, modules: Modules) -> dict:
    """For a scenario, the target's function that failed: its outermost frame in the target."""
    if op != "scenario":
        return {}
    try:
        from ..target import resolve

        root = str(resolve(modules.target)) + os.sep
        frame = exc.__traceback__
        while frame is not None:
            code = frame.tb_frame.f_code
            if code.co_filename.startswith(root):
                name = getattr(code, "co_qualname", code.co_name)
                return {"where": f"{os.path.basename(code.co_filename)[:-3]}.{name}"}
            frame = frame.tb_next
    except Exception:  # noqa: BLE001 - the scenario's name will do
        pass
    return {}


def _checked(request: dict, modules: Modules, snapshot) -> dict:
    """``handle``, unless the target changed the grader's code, before or during the request."""
    from . import tripwire

    if request.get("op") == "ping":
        return handle(request, modules)
    changed = snapshot.changed() or None
    answer = handle(request, modules) if changed is None else None
    changed = changed or snapshot.changed()
    return tripwire.tampered(changed) if changed else answer


def serve(target: str, in_fd: int, out_fd: int, reference_siblings: bool = False) -> None:
    channel.serving(in_fd, out_fd)
    from . import relay, scenarios, tripwire  # noqa: F401 - in the snapshot before target code

    snapshot = tripwire.Snapshot()
    modules = Modules(target, reference_siblings)
    while True:
        try:
            request = channel.receive()
        except wire.WireClosed:
            return
        answer = _checked(request, modules, snapshot)
        try:
            message = codec.encode(answer)
        except (TypeError, ValueError, RecursionError) as exc:
            message = codec.encode(
                {"error": {"kind": "unsendable", "message": str(exc)[:500], "type": "TypeError"}}
            )
        channel.write(message)


def run(spec: dict, in_fd: int, out_fd: int) -> None:
    """Serve, then leave without running any exit handler the target may have registered."""
    serve(spec["target"], in_fd, out_fd, bool(spec.get("reference_siblings")))
    os._exit(0)


def become(spec: dict) -> None:
    """Turn this process into the worker ``spec`` describes, before any target code runs.

    The one way every worker starts, forked from the zygote or as a fresh interpreter:
    ``{"target", "cwd", "env", "uid", "gid", "limits", "confine"}`` (``spawn.worker_spec``).
    Lowers the rlimits; then, with a confinement plan, confines itself for good
    (``confine.enter``: private mounts as root, no network, the drop to ``uid``, no
    capabilities, Landlock), failing closed: any step that fails stops the worker before it
    reads a request. Without a plan it only drops privileges when ``uid`` is set.
    """
    from . import sandbox

    os.chdir(spec["cwd"])
    os.environ.clear()
    os.environ.update(spec["env"])
    sys.dont_write_bytecode = True
    sandbox.apply_child_limits(spec.get("limits") or {})
    uid, gid = spec.get("uid"), spec.get("gid")
    if spec.get("confine"):
        from . import confine

        line = confine.enter(confine.Plan.from_json(spec["confine"]), uid, gid)
        if uid is not None and os.getuid() != uid:
            raise confine.ConfinementError(f"the worker could not drop to uid {uid}: {line}")
    elif uid is not None:
        sandbox.drop_privileges(uid, gid)


def main(argv: list[str]) -> None:
    """``python -m lstm_lab.grading.worker SPEC IN_FD OUT_FD`` (``SPEC`` as JSON)."""
    spec, in_fd, out_fd = json.loads(argv[0]), int(argv[1]), int(argv[2])
    os.dup2(2, 1)  # print() from the target lands in stderr, never in the protocol
    sys.stdout = sys.stderr
    become(spec)
    run(spec, in_fd, out_fd)


if __name__ == "__main__":
    main(sys.argv[1:])
