"""Make the students' stubs from the reference answers.

``exercises/`` is ``solutions/`` with every public function and method body replaced by a
``NotImplementedError`` that points at the task, and private helpers left out: names,
signatures, docstrings, constants and imports stay exactly as in the solutions, so the two never
drift apart (a test regenerates the stubs and compares).
"""

from __future__ import annotations

import ast
from pathlib import Path

HEADER = "# Generated from solutions/ by `lstm-lab stubs`; edit the solution's docstring instead.\n"


def _raise_line(indent: str, where: str) -> str:
    return (
        f"{indent}raise NotImplementedError(\n"
        f'{indent}    "{where}: not implemented yet (see its docstring)"\n'
        f"{indent})\n"
    )


def _header_and_docstring(lines: list[str], node) -> list[str]:
    """The source lines of ``node`` from its decorators through its docstring (or signature)."""
    start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
    body0 = node.body[0]
    has_doc = (
        isinstance(body0, ast.Expr)
        and isinstance(body0.value, ast.Constant)
        and isinstance(body0.value.value, str)
    )
    end = body0.end_lineno if has_doc else body0.lineno - 1
    return lines[start:end]


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def stub_source(source: str, module: str) -> str:
    """The stub of one solution module's source."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    previous_end = 0
    for node in tree.body:
        gap_start, previous_end = previous_end, node.end_lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("_"):
                continue
            part = _header_and_docstring(lines, node)
            body_indent = _indent_of(lines[node.body[0].lineno - 1])
            out += ["\n\n", *part, _raise_line(body_indent, f"{module}.{node.name}")]
        elif isinstance(node, ast.ClassDef):
            first = node.body[0]
            has_doc = isinstance(first, ast.Expr) and isinstance(
                getattr(first, "value", None), ast.Constant
            )
            start = min([d.lineno for d in node.decorator_list] + [node.lineno]) - 1
            end = first.end_lineno if has_doc else node.lineno
            out += ["\n\n", *lines[start:end]]
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    not item.name.startswith("_") or item.name == "__init__"
                ):
                    part = _header_and_docstring(lines, item)
                    body_indent = _indent_of(lines[item.body[0].lineno - 1])
                    where = f"{module}.{node.name}.{item.name}"
                    out += ["\n", *part, _raise_line(body_indent, where)]
        elif isinstance(node, ast.Expr) and node is tree.body[0]:
            out += [*lines[: node.end_lineno], HEADER]  # the module docstring
        else:  # imports and constants, with the comments and blank lines before them
            out += lines[gap_start : node.end_lineno]
    text = "".join(out)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text.rstrip("\n") + "\n"


def make_stubs(solutions: Path, exercises: Path) -> list[Path]:
    """Write the stub of every ``ex*.py`` in ``solutions`` into ``exercises``; return the paths."""
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(solutions.glob("ex*.py")):
        target = exercises / path.name
        target.write_text(stub_source(path.read_text(), path.stem))
        written.append(target)
    init = exercises / "__init__.py"
    if not init.exists():
        init.write_text('"""Your answers to the lstm_lab exercises: fill in every stub."""\n')
        written.append(init)
    return written
