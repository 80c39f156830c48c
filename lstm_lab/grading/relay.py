"""ex05 on the reference's pieces: what the judge allows, the stand-ins, the mirror.

On the grader, ex05's trainers run on the reference versions of what they build on
(``REFERENCE_PIECES``), so that one mistake in ex02-ex04 is not penalised twice, and no reference
code enters the target's process. Three sides:

- **the target's worker**: ``reference_pieces`` swaps each piece, wherever the target's ex05 can
  reach it, for a stand-in that asks the judge (``channel.ask_judge``):
  ``reference_function`` (data in, data out), ``reference_model_function`` (a function of a
  model: ``reset_states``), ``reference_builder`` (returns a compiled model, rebuilt here from
  the reference's configuration) and ``reference_callback`` (a callback class whose hooks run in
  the reference's worker). Models travel as mirrors (``mirror_of``: the layer tree and which
  layers are stateful); what the reference does to a mirror comes back as actions (``_apply``).
- **the judge**: ``Relay`` answers those questions with the solutions' worker, for the allowed
  names only.
- **the solutions' worker**: ``REFERENCE_OPS`` (``new``/``invoke``/``apply``/``build``) run the
  reference on mirrors (``_MirrorLayer``) and answer with data and actions.
"""

from __future__ import annotations

import contextlib
import itertools
import types
from typing import TYPE_CHECKING

from . import channel, codec

if TYPE_CHECKING:  # the judge's side only; the worker never imports the proxy
    from .proxy import TargetProxy

#: What ex05's trainers build on, and how each piece reaches the reference when the judge grades
#: them on the reference's pieces (``train_on_reference_probe``): data functions are answered
#: with data; ``reset_states`` and the callback act on a mirror of the model; the builder sends
#: the reference model's configuration. The judge's ``Relay`` allows exactly these names.
#: The modules graded on the reference's pieces: only their workers' questions are answered.
RELAYED = ("ex05_training",)
#: The largest question a relay passes on, in bytes: ex05's runs ask about arrays of the echo
#: data (about 100 x 20 values); anything larger is the asking target's fault, never a load on
#: the solutions' worker.
MAX_QUESTION = 4 * 2**20
REFERENCE_PIECES = {
    "ex02_windows.sliding_windows": "function",
    "ex03_labels.expand_labels": "function",
    "ex03_labels.stateful_batches": "function",
    "ex04_stateful.build_stateful_classifier": "builder",
    "ex04_stateful.reset_states": "model_function",
    "ex04_stateful.ResetStatesEvery": "callback",
}


# -- the target's side: stand-ins that ask the judge -----------------------------------------
def reference_function(module: str, function: str):
    """A stand-in for ``module.function`` that the judge answers with the reference."""

    def stand_in(*args, **kwargs):
        return channel.ask_judge(
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
        answer = channel.ask_judge(
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

        answer = channel.ask_judge(
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


#: The hooks of a Keras callback that a reference callback's stand-in forwards.
CALLBACK_HOOKS = tuple(
    f"on_{stage}_{when}"
    for stage in ("train", "epoch", "train_batch", "test", "test_batch", "predict", "predict_batch")
    for when in ("begin", "end")
)


def reference_callback(module: str, name: str):
    """A stand-in class for the callback ``module.name``, run by the reference.

    Each instance is an object in the solutions' worker; each hook the reference overrides is
    forwarded there with a mirror of the model (``mirror_of``), and what the reference did to the
    mirror (reset layer states, stop training) is done here to the real model.
    """
    import keras

    def __init__(self, *args, **kwargs):
        keras.callbacks.Callback.__init__(self)
        made = channel.ask_judge(
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
            answer = channel.ask_judge(
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
    namespace.update({hook: forward(hook) for hook in CALLBACK_HOOKS})
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


#: The makers of a piece's stand-in, by the kind ``REFERENCE_PIECES`` gives it.
def _makers() -> dict:
    return {
        "function": reference_function,
        "model_function": reference_model_function,
        "builder": reference_builder,
        "callback": reference_callback,
    }


def stand_in_modules(package: str) -> dict[str, types.ModuleType]:
    """Modules named ``package.ex02_windows`` ... ``package.ex04_stateful`` whose only names are
    the stand-ins of their ``REFERENCE_PIECES``: the worker of a module graded on the
    reference's pieces imports these in place of the student's siblings, so that what a sibling
    does at import (a syntax error, ``sys.exit``, patched builtins, writes to descriptors)
    never happens there, and one mistake costs one module's points."""
    made: dict[str, types.ModuleType] = {}
    for qualified, kind in REFERENCE_PIECES.items():
        home, name = qualified.split(".")
        if home not in made:
            made[home] = types.ModuleType(f"{package}.{home}", f"The reference's pieces of {home}.")
            made[home].__getattr__ = _only_pieces(home)
        setattr(made[home], name, _makers()[kind](home, name))
    return made


def _only_pieces(home: str):
    offered = sorted(q.split(".")[1] for q in REFERENCE_PIECES if q.startswith(home + "."))

    def missing(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"{home}.{name} is not one of the pieces ex05 is graded on ({', '.join(offered)}): "
            f"ex05_training runs here on the reference's {home}, not on yours"
        )

    return missing


@contextlib.contextmanager
def reference_pieces(modules, module: str = "ex05_training"):
    """Run ``module`` on the reference versions of ``REFERENCE_PIECES`` for the block.

    Each piece is swapped wherever the target's ``module`` can reach it: in the module that
    defines it (for ``from . import ex03_labels`` style) and in ``module``'s own names (for
    ``from .ex03_labels import stateful_batches``, under that name or another). Yields the names
    swapped. A piece whose module the target lacks is still swapped in ``module``'s names.
    """
    makers = _makers()
    user = modules.get(module)
    missing = object()
    swapped = []
    with contextlib.ExitStack() as stack:
        for qualified, kind in REFERENCE_PIECES.items():
            home, name = qualified.split(".")
            stand_in = makers[kind](home, name)
            try:
                source = modules.get(home)
            except Exception:  # noqa: BLE001 - missing or broken: only the user's names
                source = None
            original = getattr(source, name, missing) if source is not None else missing
            if source is not None and source is not user:
                stack.enter_context(stand_ins(source, {name: stand_in}))
            names = [
                key
                for key, value in user.__dict__.items()
                if key == name or (original is not missing and value is original)
            ]
            stack.enter_context(stand_ins(user, dict.fromkeys(names, stand_in)))
            swapped.append(qualified)
        yield swapped


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


def new_object(modules, request: dict) -> dict:
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


def apply_function(modules, request: dict) -> dict:
    function = getattr(modules.get(request["module"]), request["function"])
    actions: list = []
    mirror = _MirrorLayer(request.get("mirror") or {}, (), actions)
    return _acted(function(mirror), mirror, actions)


def build_model(modules, request: dict) -> dict:
    function = getattr(modules.get(request["module"]), request["function"])
    model = function(*(request.get("args") or []), **(request.get("kwargs") or {}))
    compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
    return {"config": model.to_json(), "compile": compiled}


def invoke(modules, request: dict) -> dict:
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


def drop_object(modules, request: dict) -> None:
    """Forget a reference object (a callback whose run is over)."""
    _objects.pop(int(request.get("id", 0)), None)


def _acted(result, mirror, actions: list) -> dict:
    """The answer to the judge: the result if it is data, and what was done to the mirror."""
    if mirror is not None and mirror.stop_training:
        actions.append(["stop_training", True])
    try:
        codec.encode(result)
    except (TypeError, ValueError):
        result = None
    return {"result": result, "actions": actions}


#: The requests the solutions' worker serves for a relay (``worker.handle``).
REFERENCE_OPS = {
    "new": new_object,
    "invoke": invoke,
    "apply": apply_function,
    "build": build_model,
    "drop": drop_object,
}


# -- the judge's side ----------------------------------------------------------------------------
class Relay:
    """Answer a target worker's questions with the solutions' worker, for allowed names only.

    ``Relay(reference, allow=["ex03_labels.stateful_batches", "ex04_stateful.ResetStatesEvery"])``
    passed as ``TargetProxy(..., callbacks=...)`` lets the target's scenarios use
    ``reference_function``/``reference_model_function``/``reference_builder``/
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

    def __call__(self, question, asker: str | None = None):
        """The answer to ``question`` from the worker that serves ``asker`` (an exercise module;
        ``None``: a worker outside graded tests). ``PermissionError``/``ValueError`` for a
        question that is not allowed: the asking call fails, the solutions' worker is not asked.
        """
        if asker is not None and asker not in RELAYED:
            raise PermissionError(
                f"the judge answers questions only from the calls of {', '.join(RELAYED)}, "
                f"which is graded on the reference's pieces; this came from {asker}'s"
            )
        if not isinstance(question, dict):
            raise ValueError("a question is a dict")
        if len(codec.encode(question)) > MAX_QUESTION:
            raise ValueError(f"a question may hold at most {MAX_QUESTION // 2**20} MB")
        op = question.get("op")
        if op in self._NAMED:
            field = self._NAMED[op]
            name = (question.get("module"), question.get(field))
            self._check(name)
            request = {"op": op, "module": name[0], field: name[1]}
            if op == "apply":
                request["mirror"] = question.get("mirror")
            else:
                request["args"] = list(question.get("args") or [])
                request["kwargs"] = dict(question.get("kwargs") or {})
            # Keys of their own: a question that makes the reference fail strikes nothing the
            # grader's own calls of the reference need.
            where = ".".join(name)
            answer = self.reference.request(request, where, key=f"relay {op} {where}")
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
            return self.reference.request(request, "invoke", key="relay invoke")
        raise ValueError(f"unknown question {op!r}")

    def _check(self, name) -> None:
        if name not in self.allow:
            raise PermissionError(f"the judge does not answer for {'.'.join(map(str, name))}")
