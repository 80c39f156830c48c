"""A tripwire over the grader's own code inside a worker (worker side).

Student code shares its process with the probes that measure it (``scenarios``), the relay's
stand-ins (``relay``) and the worker's line to the judge (``channel``, ``codec``, ``wire``).
Python cannot keep the student's code away from them, so the judge decides from data it chose
and checks itself wherever it can (judge-chosen weights, its NumPy oracle, the solutions'
worker). Where a check has to read what happened inside the worker (the batches ``fit`` ran,
the states they began with), this module is what makes rewriting the probes visible: before
any target code runs, the worker takes a ``Snapshot`` of every function and class of the
grader's modules (and their code objects), and of the Keras methods the probes wrap and read
(``Model.fit``, ``train_on_batch``, ``predict``, ``get_weights`` ...). After every request it
compares; anything replaced, rebound or given other code makes that answer, and every later
one of this worker, a ``tampered`` error, which costs the target the test (never the judge or
another module: each exercise module has its own worker).

A tripwire, not a wall: code that knows where the snapshot lives can defeat it, as it could
defeat any check in its own process. It turns the plain attack (replace
``scenarios.train_probe``, patch ``keras.Model.fit``) from full marks into a clear zero.
"""

from __future__ import annotations

import functools
import sys
import types

#: The grader's modules a worker runs, whose functions the target must leave alone.
GUARDED_MODULES = (
    "lstm_lab.grading.scenarios",
    "lstm_lab.grading.relay",
    "lstm_lab.grading.channel",
    "lstm_lab.grading.codec",
    "lstm_lab.grading.wire",
    "lstm_lab.grading.worker",
    "lstm_lab.grading.tripwire",
)
#: The Keras methods the probes wrap or read numbers through.
GUARDED_KERAS = {
    "Model": (
        "fit",
        "train_on_batch",
        "predict",
        "predict_on_batch",
        "evaluate",
        "get_weights",
        "set_weights",
        "__call__",
    ),
    "Layer": ("get_weights", "set_weights", "__call__"),
}


def _code(value):
    """The code object behind a function (or a method/staticmethod/classmethod wrapper)."""
    value = getattr(value, "__func__", value)
    return getattr(value, "__code__", None)


def _entries(owner: str, namespace) -> dict:
    """``{name: (object, its code object, a lookup of what the name holds now)}`` for the
    functions and classes of a namespace, the methods of its classes included."""
    out = {}
    for name, value in list(namespace.items()):
        if isinstance(value, (types.FunctionType, staticmethod, classmethod)):
            out[f"{owner}.{name}"] = (value, _code(value), functools.partial(namespace.get, name))
        elif isinstance(value, type) and value.__module__ == namespace.get("__name__", owner):
            out[f"{owner}.{name}"] = (value, None, functools.partial(namespace.get, name))
            members = vars(value)
            for attr, member in list(members.items()):
                if isinstance(member, (types.FunctionType, staticmethod, classmethod, property)):
                    lookup = functools.partial(members.get, attr)
                    out[f"{owner}.{name}.{attr}"] = (member, _code(member), lookup)
    return out


def _keras_entries() -> dict:
    keras = sys.modules.get("keras")
    if keras is None:
        return {}
    out = {}
    for cls_name, methods in GUARDED_KERAS.items():
        cls = getattr(keras, cls_name, None)
        if cls is None:
            continue
        for method in methods:
            value = getattr(cls, method, None)
            lookup = functools.partial(getattr, cls, method, None)  # inherited ones too
            out[f"keras.{cls_name}.{method}"] = (value, _code(value), lookup)
    return out


def _current() -> dict:
    entries = {}
    for name in GUARDED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            entries.update(_entries(name, vars(module)))
    entries.update(_keras_entries())
    return entries


class _KerasWatch:
    """A finder on ``sys.meta_path`` for a worker that has not imported Keras yet (the NumPy-only
    exercises): when the target first imports it, Keras's guarded methods enter the snapshot as
    soon as Keras has loaded, before the importing code gets it back."""

    def __init__(self, entries: dict):
        self.entries = entries

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        import importlib.machinery

        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader, entries = spec.loader, self.entries

        class Loader:
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                for key, entry in _keras_entries().items():
                    entries.setdefault(key, entry)

        spec.loader = Loader()
        return spec


class Snapshot:
    """What the grader's code was before the target ran; ``changed()`` names what is not."""

    def __init__(self):
        self._entries = _current()
        self._modules = len(sys.modules)
        self._tripped: list[str] = []
        if "keras" not in sys.modules:
            sys.meta_path.insert(0, _KerasWatch(self._entries))

    def changed(self) -> list[str]:
        """The guarded names replaced, removed or given other code since the snapshot (sticky:
        once tripped, always tripped). A name that appeared later (a module imported after the
        snapshot) is taken into the snapshot, not counted. Cheap (tens of microseconds): each
        name is looked up where it lives; the guarded modules are scanned again for new names
        only when ``sys.modules`` has grown."""
        if self._tripped:
            return self._tripped
        changed = []
        for name, (value, code, lookup) in self._entries.items():
            now = lookup()
            if now is not value or _code(now) is not code:
                changed.append(name)
        if len(sys.modules) != self._modules:
            self._modules = len(sys.modules)
            for name, entry in _current().items():
                self._entries.setdefault(name, entry)
        self._tripped = sorted(changed)
        return self._tripped


def tampered(names: list[str]) -> dict:
    """The error answer of a worker whose target changed the grader's code."""
    return {"error": {"kind": "tampered", "names": list(names)[:10]}}
