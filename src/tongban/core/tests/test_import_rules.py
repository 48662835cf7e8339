"""The import rules a reader relies on, checked on the source (lint-imports checks the layers).

* No function-local ``import tongban…``: a deferred import hides a dependency (usually a
  circle) from the reader, from mypy's ordering and from ``lint-imports``.  Allowed only in
  ``apps.py`` (models are not ready at import time) and under ``if TYPE_CHECKING:``.
* No import circle among the modules of ``src/tongban``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp

SRC = Path(__file__).resolve().parents[3]
#: Folders whose modules are not the application's (tests and generated migrations).
SKIPPED_PARTS = frozenset({"tests", "migrations"})


def _is_tongban(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "tongban"
    return any(alias.name.split(".")[0] == "tongban" for alias in node.names)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _local_imports(tree: ast.AST) -> list[int]:
    """Lines of tongban imports inside a function body (not under TYPE_CHECKING)."""
    found: list[int] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child, in_function)
            return
        if isinstance(node, ast.Import | ast.ImportFrom) and in_function and _is_tongban(node):
            found.append(node.lineno)
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def _application_modules() -> list[Path]:
    return [
        path
        for path in sorted(SRC.glob("tongban/**/*.py"))
        if not SKIPPED_PARTS.intersection(path.relative_to(SRC).parts)
        and path.name not in ("apps.py", "conftest.py")
    ]


def test_the_scan_finds_a_function_local_import_and_spares_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from tongban.cases.models import Case\n"
        "def f():\n"
        "    import os\n"
        "    from tongban.cases import services\n"
        "    if TYPE_CHECKING:\n"
        "        from tongban.cases.models import Case\n"
    )
    assert _local_imports(ast.parse(source)) == [6]


def test_no_module_imports_tongban_inside_a_function() -> None:
    assert len(_application_modules()) > 100
    offenders = [
        f"{path.relative_to(SRC)}:{line}"
        for path in _application_modules()
        for line in _local_imports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], "function-local tongban imports (move them to the top): " + ", ".join(
        offenders
    )


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.find_modules_directly_imported_by(module):
            if target not in modules:
                continue
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            connect(module)
    return found


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert _cycles(graph, {"a", "b", "c"}) == [["a", "b"]]


def test_no_import_circle_among_the_application_modules() -> None:
    graph = grimp.build_graph("tongban", exclude_type_checking_imports=True, cache_dir=None)
    modules = {
        m for m in graph.modules if not SKIPPED_PARTS.intersection(m.split(".")) and m != "tongban"
    }
    assert _cycles(graph, modules) == []
