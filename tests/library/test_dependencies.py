"""What ``pip install .`` installs is what the package needs: ``lstm-lab --help`` and
``lstm-lab grade --help`` run with the declared dependencies alone, and every third-party module
that ``lstm_lab/`` imports anywhere is declared (a main dependency, or an optional one).

Issue 17: after ``pip install -e .`` without the test extra, ``lstm-lab --help`` failed with "No
module named 'pytest'". An environment with nothing but the declared dependencies would take an
install per run; instead, the help runs here behind an import hook that refuses every
third-party module that no declared dependency (or a dependency of one) provides.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lstm_lab"

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement (``scikit-learn>=1.4`` ->
    ``scikit-learn``)."""
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement)[1]).lower()


def declared() -> tuple[set[str], set[str]]:
    """``(main dependencies, optional ones)`` of pyproject.toml, as normalised names."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    main = {_name(r) for r in project.get("dependencies", [])}
    optional = {
        _name(r) for group in project.get("optional-dependencies", {}).values() for r in group
    }
    return main, optional


def closure(names: set[str]) -> set[str]:
    """``names`` and everything they require, as installed here (markers for extras skipped)."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires if "extra ==" not in r]
    return found


def third_party_imports() -> dict[str, list[str]]:
    """``{top-level module: [file:line, ...]}`` of every absolute import in ``lstm_lab/`` that
    is neither the standard library nor ``lstm_lab`` itself."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("lstm_lab", "__future__"):
                    continue
                found.setdefault(top, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_third_party_import_is_a_declared_dependency():
    main, optional = declared()
    providers = importlib.metadata.packages_distributions()
    undeclared = {}
    for module, where in third_party_imports().items():
        names = {_name(d) for d in providers.get(module, [module])}
        if not names & (main | optional):
            undeclared[module] = where[:3]
    assert undeclared == {}, (
        f"lstm_lab imports modules that pyproject.toml does not declare: {undeclared}"
    )


def test_the_test_tools_the_grader_runs_are_main_dependencies():
    # `lstm-lab grade` runs the rubric with pytest and hypothesis in its own process.
    main, _ = declared()
    assert {"pytest", "hypothesis"} <= main


#: Run in a fresh interpreter: refuse every import of a third-party module that the declared
#: dependencies do not provide, then print the help of each command given.
HELP_WITH_ONLY = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, importlib.metadata, os, sys, sysconfig
    allowed = set(sys.argv[1].split(","))
    providers = importlib.metadata.packages_distributions()
    norm = lambda name: name.replace("_", "-").replace(".", "-").lower()
    sites = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
    refused = []

    class OnlyDeclared(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if "." in name or name in sys.stdlib_module_names or name == "lstm_lab":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            places = [] if spec is None else [spec.origin, *(spec.submodule_search_locations or [])]
            origin = os.path.realpath(next((p for p in places if p), ""))
            if not any(origin.startswith(site + os.sep) for site in sites):
                return None  # not installed from a distribution: nothing to declare
            if {norm(d) for d in providers.get(name, [name])} & allowed:
                return None
            refused.append(name)
            raise ModuleNotFoundError(f"{name} is not a declared dependency", name=name)

    sys.meta_path.insert(0, OnlyDeclared())
    from lstm_lab.cli import main
    for argv in sys.argv[2:]:
        try:
            main(argv.split())
        except SystemExit as stop:
            if stop.code not in (0, None):
                raise
    print("refused:", ",".join(sorted(set(refused))))
    """
)


def help_with_only(allowed: set[str], *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", HELP_WITH_ONLY, ",".join(sorted(allowed)), *argv],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("argv", [["--help"], ["grade --help"], ["release --help"]])
def test_the_help_needs_only_the_declared_dependencies(argv):
    main, _ = declared()
    proc = help_with_only(closure(main), *argv)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "usage: lstm-lab" in proc.stdout
    refused = proc.stdout.strip().splitlines()[-1]
    assert refused == "refused:", f"the help tried to import undeclared modules: {refused}"


def test_the_hook_refuses_what_is_not_declared():
    # The check can fail: were numpy not declared, `lstm-lab --help` (which reads the lab's
    # defaults, NumPy arrays among them) would be refused it.
    main, _ = declared()
    proc = help_with_only(closure(main) - {"numpy"}, "--help")
    assert proc.returncode != 0
    assert "numpy is not a declared dependency" in proc.stderr, proc.stderr[-2000:]
