"""Which engine modules a plugin may import, and a check that it imports nothing else.

A plugin's tests (the scaffold writes one) call ``imports_outside(Path("src"))`` and expect an empty list,
so a plugin that reaches into the engine's internals fails its own tests before it breaks on an upgrade.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PLUGIN_SURFACE", "SDK_SURFACE", "imports_outside"]

PLUGIN_SURFACE: tuple[str, ...] = (
    "interview_engine",
    "interview_engine.plugin_api",
    "interview_engine.testing",
    "interview_engine.testing.conformance",
    "interview_engine.testing.speech",
    "interview_engine.testing.surface",
)
"""The modules a plugin may import from, each only for the names in its ``__all__``."""

SDK_SURFACE: tuple[str, ...] = (
    "interview_engine", "interview_engine.media", "interview_engine.testing", "interview_engine.testing.plugin")
"""What a host (the reference server, an integrator) may import: the public SDK of docs/guide.md."""

_MODULE_PATH = re.compile(r"interview_engine(\.[a-z_][a-z0-9_]*)+(:\w+)?")


def imports_outside(root: Path, surface: Iterable[str] = PLUGIN_SURFACE) -> list[str]:
    """Every import of the engine under ``root`` (``.py`` files, recursively) that is not a public name of
    a ``surface`` module, as ``file:line: what``; also module paths written as strings (``importlib``,
    ``lazy_factory``). Empty when the code keeps to the surface."""
    public = {name: set(importlib.import_module(name).__all__) for name in surface}
    problems = []
    for path in sorted(root.rglob("*.py")):
        for line, what in _engine_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            module, _, name = what.partition(":")
            submodule = f"{module}.{name}" in public  # from interview_engine import plugin_api
            if not submodule and (module not in public or (name and name not in public[module])):
                problems.append(f"{path}:{line}: {what.replace(':', ' import ')}")
    return problems


def _engine_imports(tree: ast.AST) -> Iterable[tuple[int, str]]:
    """``(line, "module:name")`` for each engine name imported, ``(line, "module")`` for each module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _is_engine(node.module or ""):
            for alias in node.names:
                yield node.lineno, f"{node.module}:{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_engine(alias.name):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_PATH.fullmatch(node.value):
            yield node.lineno, node.value.partition(":")[0]


def _is_engine(module: str) -> bool:
    return module == "interview_engine" or module.startswith("interview_engine.")
