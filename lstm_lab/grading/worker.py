"""The worker: the only process that imports a target's code.

Started by ``proxy.TargetProxy``, forked from the zygote (``zygote``) or as
``python -m lstm_lab.grading.worker TARGET IN_FD OUT_FD``. It reads requests from ``IN_FD`` and
answers each on ``OUT_FD``; what the target prints goes to stderr (the judge keeps the tail of it
for crash reports), never into the protocol.

Requests (decoded by ``codec``):
    {"op": "call", "module": m, "function": f, "args": [...], "kwargs": {...}}
    {"op": "scenario", "name": s, "args": [...], "kwargs": {...}}
    {"op": "new", "module": m, "name": cls, "args": [...], "kwargs": {...}}    (reference side)
    {"op": "invoke", "id": n, "method": name, "args": [...], "mirror": {...}}  (reference side)
    {"op": "apply", "module": m, "function": f, "mirror": {...}}               (reference side)
    {"op": "build", "module": m, "function": f, "args": [...], "kwargs": {...}} (reference side)
    {"op": "ping"}
Answers: {"ok": value} or {"error": {"kind": ..., ...}} with kind one of
    "missing" (no such module), "import" (importing it raised), "attribute" (no such function),
    "notimpl" (NotImplementedError), "raised" (any other exception), "unsendable" (the result
    is not data).

While it works on a request the worker may also send
    {"note": {"importing": m}} / {"note": {"imported": m}}   (the judge times imports apart), and
    {"callback": request}   a question for the judge (``ask_judge``), answered {"reply": answer}.

The callback channel is how a scenario runs the target's code on the *reference* versions of
what it builds on, without reference source in the worker: ``stand_ins`` swaps names in a target
module for ``reference_function`` (data in, data out), ``reference_model_function`` (a function
of a model, such as ``reset_states``), ``reference_builder`` (a function that returns a compiled
model) or ``reference_callback`` stand-ins, which ask the judge;
the judge's ``proxy.Relay`` answers from the solutions' worker, for the names it allows. Models
travel as mirrors (``mirror_of``: the layer tree and which layers are stateful); what the
reference does to a mirror (reset a layer's state, stop training) comes back as actions.
"""

from __future__ import annotations

import builtins
import contextlib
import itertools
import os
import sys
import traceback as tb

from . import codec, wire

#: How many traceback lines a student sees: enough to find the line, not a wall of Keras.
TRACEBACK_LIMIT = 12

#: The pipes of this worker, once it serves: (request fd, answer fd).
_channel: tuple[int, int] | None = None


class Modules:
    """The target's exercise modules, imported on first use and remembered (errors too)."""

    def __init__(self, target: str):
        self.target = target
        self._errors: dict[str, dict] = {}

    def get(self, name: str):
        from ..target import MODULES, load_module, package_name, resolve

        if name in self._errors:
            raise _Answer(self._errors[name])
        full = f"{package_name(resolve(self.target))}.{name}"
        first = full not in sys.modules and name in MODULES
        if first:
            _note({"importing": name})
        try:
            module = load_module(self.target, name)
        except ModuleNotFoundError as exc:
            if getattr(exc, "name", None) == name:
                error = {"kind": "missing", "module": name}
            else:
                error = _describe(exc, "import", module=name)
        except BaseException as exc:  # noqa: BLE001 - anything an import can raise
            error = _describe(exc, "import", module=name)
        else:
            if first:
                _note({"imported": name})
            return module
        if first:
            _note({"imported": name})
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
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = "(the exception's message could not be read)"
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": message,
        "traceback": _short_traceback(exc),
        **extra,
    }


# -- the channel to the judge ----------------------------------------------------------------------
def _send(message: dict) -> None:
    if _channel is None:
        raise RuntimeError("this process is not serving a judge")
    wire.write_frame(_channel[1], codec.encode(message))


def _note(note: dict) -> None:
    if _channel is not None:
        _send({"note": note})


class JudgeError(RuntimeError):
    """The judge could not answer a question (nothing allowed it, or the reference failed)."""


def ask_judge(request: dict):
    """Ask the judge a question in the middle of a request; return its answer (data).

    The judge answers with its ``callbacks`` handler (``proxy.Relay`` to ask the solutions). A
    reference that raised a built-in exception (a ``ValueError`` for bad input) raises the same
    type here; anything else raises ``JudgeError``.
    """
    _send({"callback": request})
    reply = codec.decode(wire.read_frame(_channel[0]))
    if not isinstance(reply, dict) or "reply" not in reply:
        raise JudgeError("the judge sent something that is not a reply")
    answer = reply["reply"]
    if isinstance(answer, dict) and "ok" in answer:
        return answer["ok"]
    error = answer.get("error", {}) if isinstance(answer, dict) else {}
    kind = getattr(builtins, str(error.get("type", "")), None)
    message = str(error.get("message", "the judge could not answer"))
    if isinstance(kind, type) and issubclass(kind, Exception) and kind.__module__ == "builtins":
        raise kind(message)
    raise JudgeError(message)


def reference_function(module: str, function: str):
    """A stand-in for ``module.function`` that the judge answers with the reference."""

    def stand_in(*args, **kwargs):
        return ask_judge(
            {
                "op": "call",
                "module": module,
                "function": function,
                "args": list(args),
                "kwargs": kwargs,
            }
        )

    stand_in.__name__ = stand_in.__qualname__ = function
    stand_in.__doc__ = f"The reference {module}.{function}, answered by the judge."
    return stand_in


def reference_model_function(module: str, function: str):
    """A stand-in for ``module.function(model)`` (``reset_states``): the reference runs on a
    mirror of the model in the solutions' worker; what it did to the mirror is done here."""

    def stand_in(model):
        answer = ask_judge(
            {"op": "apply", "module": module, "function": function, "mirror": mirror_of(model)}
        )
        _apply(model, answer.get("actions"))
        return answer.get("result")

    stand_in.__name__ = stand_in.__qualname__ = function
    stand_in.__doc__ = f"The reference {module}.{function}, run on a mirror of the model."
    return stand_in


def reference_builder(module: str, function: str):
    """A stand-in for ``module.function(...)`` that returns a compiled Keras model: the reference
    builds it in the solutions' worker and sends its configuration and compile settings (no
    weights, no code); the model is rebuilt here from them, so its initial weights come from this
    process's seeded generators, as the target's own builder's would."""

    def stand_in(*args, **kwargs):
        import keras

        answer = ask_judge(
            {
                "op": "build",
                "module": module,
                "function": function,
                "args": list(args),
                "kwargs": kwargs,
            }
        )
        model = keras.models.model_from_json(answer["config"])
        if answer.get("compile"):
            model.compile_from_config(answer["compile"])
        return model

    stand_in.__name__ = stand_in.__qualname__ = function
    stand_in.__doc__ = f"The reference {module}.{function}, rebuilt from its configuration."
    return stand_in


def mirror_of(model) -> dict:
    """What a reference callback may see of ``model``: its layer tree, which layers are stateful."""

    def describe(layer):
        return {
            "name": str(getattr(layer, "name", "")),
            "stateful": bool(getattr(layer, "stateful", False)),
            "reset": callable(getattr(layer, "reset_state", None)),
            "layers": [describe(sub) for sub in getattr(layer, "layers", None) or []],
        }

    return describe(model)


def _apply(model, actions) -> None:
    for action in actions or []:
        if action[0] == "reset":
            layer = model
            for index in action[1]:
                layer = layer.layers[index]
            layer.reset_state()
        elif action[0] == "stop_training":
            model.stop_training = bool(action[1])


def reference_callback(module: str, name: str):
    """A stand-in class for the callback ``module.name``, run by the reference.

    Each instance is an object in the solutions' worker; each hook the reference overrides is
    forwarded there with a mirror of the model (``mirror_of``), and what the reference did to the
    mirror (reset layer states, stop training) is done here to the real model.
    """
    import keras

    hooks = (
        "on_train_begin",
        "on_train_end",
        "on_epoch_begin",
        "on_epoch_end",
        "on_train_batch_begin",
        "on_train_batch_end",
        "on_test_begin",
        "on_test_end",
        "on_test_batch_begin",
        "on_test_batch_end",
        "on_predict_begin",
        "on_predict_end",
        "on_predict_batch_begin",
        "on_predict_batch_end",
    )

    def __init__(self, *args, **kwargs):
        keras.callbacks.Callback.__init__(self)
        made = ask_judge(
            {"op": "new", "module": module, "name": name, "args": list(args), "kwargs": kwargs}
        )
        self._remote_id, self._remote_hooks = made["id"], set(made["hooks"])

    def forward(hook):
        def method(self, *args, **kwargs):
            if hook not in self._remote_hooks:
                return None
            logs = None
            if args and isinstance(args[-1], dict):
                logs = _plain_logs(args[-1])
                args = args[:-1]
            elif isinstance(kwargs.get("logs"), dict):
                logs = _plain_logs(kwargs.pop("logs"))
            answer = ask_judge(
                {
                    "op": "invoke",
                    "id": self._remote_id,
                    "method": hook,
                    "args": [int(a) if isinstance(a, int) else a for a in args],
                    "kwargs": {"logs": logs},
                    "mirror": mirror_of(self.model),
                }
            )
            _apply(self.model, answer.get("actions"))
            return None

        method.__name__ = hook
        return method

    namespace = {"__init__": __init__, "__doc__": f"The reference {module}.{name}."}
    namespace.update({hook: forward(hook) for hook in hooks})
    return type(name, (keras.callbacks.Callback,), namespace)


def _plain_logs(logs: dict) -> dict:
    out = {}
    for key, value in logs.items():
        try:
            out[str(key)] = float(value)
        except (TypeError, ValueError):
            pass
    return out


@contextlib.contextmanager
def stand_ins(module, replacements: dict):
    """Replace globals of the target ``module`` for the duration of the block.

    ``replacements`` maps a global name to its stand-in, for example::

        with stand_ins(modules.get("ex05_training"), {
            "stateful_batches": reference_function("ex03_labels", "stateful_batches"),
            "ResetStatesEvery": reference_callback("ex04_stateful", "ResetStatesEvery"),
        }):
            result = modules.get("ex05_training").train_stateful(...)
    """
    missing = object()
    saved = {name: module.__dict__.get(name, missing) for name in replacements}
    module.__dict__.update(replacements)
    try:
        yield module
    finally:
        for name, value in saved.items():
            if value is missing:
                module.__dict__.pop(name, None)
            else:
                module.__dict__[name] = value


# -- reference side: objects that live here, driven by a mirror ------------------------------------
class _MirrorLayer:
    """A stand-in for a Keras layer or model: records what a reference callback does to it."""

    def __init__(self, description: dict, path: tuple, actions: list):
        self.name = description.get("name", "")
        self.stateful = bool(description.get("stateful", False))
        self._path, self._actions = path, actions
        self.layers = [
            _MirrorLayer(sub, (*path, i), actions)
            for i, sub in enumerate(description.get("layers") or [])
        ]
        if description.get("reset"):
            self.reset_state = self._reset_state
        self.stop_training = False

    def _reset_state(self):
        self._actions.append(["reset", list(self._path)])


_objects: dict[int, object] = {}
_ids = itertools.count(1)


def _new(modules: Modules, request: dict) -> dict:
    cls = getattr(modules.get(request["module"]), request["name"])
    obj = cls(*(request.get("args") or []), **(request.get("kwargs") or {}))
    number = next(_ids)
    _objects[number] = obj
    base = next((k for k in type(obj).__mro__ if k.__module__.startswith("keras")), object)
    hooks = [
        name
        for name in dir(obj)
        if name.startswith("on_")
        and getattr(type(obj), name, None) is not getattr(base, name, None)
    ]
    return {"id": number, "hooks": hooks}


def _apply_function(modules: Modules, request: dict) -> dict:
    function = getattr(modules.get(request["module"]), request["function"])
    actions: list = []
    mirror = _MirrorLayer(request.get("mirror") or {}, (), actions)
    return _acted(function(mirror), mirror, actions)


def _build_model(modules: Modules, request: dict) -> dict:
    function = getattr(modules.get(request["module"]), request["function"])
    model = function(*(request.get("args") or []), **(request.get("kwargs") or {}))
    compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
    return {"config": model.to_json(), "compile": compiled}


def _invoke(request: dict) -> dict:
    obj = _objects[int(request["id"])]
    actions: list = []
    mirror = None
    if request.get("mirror") is not None:
        mirror = _MirrorLayer(request["mirror"], (), actions)
        if hasattr(obj, "set_model"):
            obj.set_model(mirror)
        else:
            obj.model = mirror
    result = getattr(obj, request["method"])(
        *(request.get("args") or []), **(request.get("kwargs") or {})
    )
    return _acted(result, mirror, actions)


def _acted(result, mirror, actions: list) -> dict:
    """The answer to the judge: the result if it is data, and what was done to the mirror."""
    if mirror is not None and mirror.stop_training:
        actions.append(["stop_training", True])
    try:
        codec.encode(result)
    except (TypeError, ValueError):
        result = None
    return {"result": result, "actions": actions}


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
        elif op == "new":
            result = _new(modules, request)
        elif op == "invoke":
            result = _invoke(request)
        elif op == "apply":
            result = _apply_function(modules, request)
        elif op == "build":
            result = _build_model(modules, request)
        elif op == "drop":
            _objects.pop(int(request.get("id", 0)), None)
            result = None
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


def serve(target: str, in_fd: int, out_fd: int) -> None:
    global _channel
    _channel = (in_fd, out_fd)
    modules = Modules(target)
    while True:
        try:
            request = codec.decode(wire.read_frame(in_fd))
        except wire.WireClosed:
            return
        answer = handle(request, modules)
        try:
            message = codec.encode(answer)
        except (TypeError, ValueError, RecursionError) as exc:
            message = codec.encode(
                {"error": {"kind": "unsendable", "message": str(exc)[:500], "type": "TypeError"}}
            )
        wire.write_frame(out_fd, message)


def run(target: str, in_fd: int, out_fd: int) -> None:
    """Serve, then leave without running any exit handler the target may have registered."""
    serve(target, in_fd, out_fd)
    os._exit(0)


def main(argv: list[str]) -> None:
    target, in_fd, out_fd = argv[0], int(argv[1]), int(argv[2])
    os.dup2(2, 1)  # print() from the target lands in stderr, never in the protocol
    sys.stdout = sys.stderr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    limits = os.environ.pop("LSTM_LAB_WORKER_LIMITS", None)
    if limits:
        import json

        from .sandbox import apply_child_limits

        apply_child_limits(json.loads(limits))
    run(target, in_fd, out_fd)


if __name__ == "__main__":
    # Serve from the module as imported by its name, not from ``__main__``: scenarios reach the
    # judge through ``lstm_lab.grading.worker``'s channel, which must be the one that is set.
    from lstm_lab.grading import worker

    worker.main(sys.argv[1:])
