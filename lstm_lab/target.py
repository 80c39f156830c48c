"""Targets: a directory of exercise modules, loaded from any path under a private name.

A target is ``solutions/``, ``exercises/`` or a student's copy. Its modules import their siblings
relatively, so the directory is loaded as a package under a name of our choosing; a missing
``__init__.py`` is fine. Loading one module never imports the others unless it asks for them.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import types
from pathlib import Path

#: The exercise modules of the contract, in teaching order.
MODULES = ("ex01_lifecycle", "ex02_windows", "ex03_labels", "ex04_stateful", "ex05_training")

#: Names a target may be given by, besides a path.
NAMED_TARGETS = ("solutions", "exercises")
#: Where the lab looks for the reference solutions (``reference_target``).
REFERENCE_ENV = "LSTM_LAB_REFERENCE"


class TargetError(ValueError):
    """The target cannot be found or is not a directory."""


def project_root() -> Path:
    """The folder that holds ``lstm_lab/`` (the repository, the student bundle, or the
    autograder's source): where ``solutions/``, ``exercises/`` and ``tests/`` are looked for."""
    return Path(__file__).resolve().parent.parent


def resolve(target: str | Path) -> Path:
    """The directory of ``target``: a path, or ``solutions``/``exercises`` of this project.

    A bare name is looked up in the current directory first, then beside the installed
    ``lstm_lab`` package (the repository checkout or the autograder's source folder).
    """
    candidates = [Path(target)]
    if str(target) in NAMED_TARGETS:
        candidates.append(project_root() / str(target))
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    raise TargetError(
        f"target must be a directory holding the exercise modules ({', '.join(MODULES)}), "
        f"or one of {NAMED_TARGETS}; {str(target)!r} is neither"
    )


def reference_target(reference: str | Path | None = None) -> Path | None:
    """The directory of the reference solutions, or ``None`` when there are none.

    The reference solutions stand in for what a target has not implemented yet where the lab
    needs it (the pitfalls' pieces, the stateless ceiling). ``reference`` names them as a
    target (a path, or ``solutions``); ``""`` means none; ``None`` (the default) reads
    ``$LSTM_LAB_REFERENCE``, and ``solutions`` when that is unset. A name that resolves to no
    directory (the student bundle has no ``solutions/``) gives ``None``.
    """
    if reference is None:
        reference = os.environ.get(REFERENCE_ENV, "solutions")
    if isinstance(reference, str) and not reference.strip():
        return None
    try:
        return resolve(reference)
    except TargetError:
        return None


def package_name(path: Path) -> str:
    """A private, stable package name for the target directory at ``path``."""
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"_lstm_lab_target_{digest}"


def load_package(target: str | Path, run_init: bool = True) -> types.ModuleType:
    """Import the target directory as a package (without importing its modules); with
    ``run_init=False`` its ``__init__.py`` is not run either."""
    path = resolve(target)
    name = package_name(path)
    if name in sys.modules:
        return sys.modules[name]
    init = path / "__init__.py"
    if init.is_file() and run_init:
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(path)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        try:
            spec.loader.exec_module(package)
        except BaseException:
            del sys.modules[name]
            raise
    else:
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        package.__file__ = None
        sys.modules[name] = package
    return package


def has_module(target: str | Path, module: str) -> bool:
    """Whether the target directory holds ``module``.py."""
    return (resolve(target) / f"{module}.py").is_file()


def load_module(target: str | Path, module: str) -> types.ModuleType:
    """Import one exercise module of the target; ``ModuleNotFoundError`` if it has none."""
    if module not in MODULES:
        raise ValueError(f"module must be one of {MODULES}, got {module!r}")
    package = load_package(target)
    if not has_module(target, module):
        raise ModuleNotFoundError(f"the target has no {module}.py", name=module)
    return importlib.import_module(f"{package.__name__}.{module}")
