"""Write the generated parts of docs/plugins.md from the code, so they cannot drift from it.

    python scripts/gen_docs.py           # rewrite docs/plugins.md between its generated-section markers
    python scripts/gen_docs.py --check   # exit 1 (and show the difference) when the file is out of date

Each generated section sits between ``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->``:

- ``plugin-api``: every name in ``interview_engine.plugin_api``, with the first line of its documentation;
- ``hooks``: every hook spec's signature and docstring, and for register hooks the protocol the
  provider implements, method by method;
- ``models``: the fields of every model a provider or a lifecycle hook receives or returns, found by
  following the protocols' and hooks' annotations and the models' own fields;
- ``conformance``: each conformance suite, the fixtures and settings a plugin's test class provides, and
  the tests it gets;
- ``scaffold``: what ``interview-engine new-plugin myvendor --family evaluator`` writes.

``tests/core/test_docs.py`` fails when the committed file differs from what this writes.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import importlib
import inspect
import itertools
import json
import re
import sys
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from interview_engine import hookspecs, models, plugin_api, providers
from interview_engine.cli.new_plugin import FAMILIES, render, template_values
from interview_engine.testing import conformance

ROOT = Path(__file__).parents[1]
PLUGINS_MD = ROOT / "docs" / "plugins.md"
SECTION = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n).*?(<!-- end generated: (?P=name) -->)", re.S)
GROUPS = {
    "interview_engine.hookspecs": "hooks",
    "interview_engine._lazy": "hooks",
    "interview_engine.providers": "provider protocols",
    "interview_engine.store.base": "provider protocols",
    "interview_engine.models": "models",
    "interview_engine.errors": "errors",
    "interview_engine.listing": "store helpers",
    "interview_engine.identifiers": "store helpers",
    "interview_engine.order": "store helpers",
    "interview_engine.media.audio": "audio",
    "interview_engine.media.audio_pipeline": "audio",
    "interview_engine.media.endpoint": "audio",
    "interview_engine.media.frames_convert": "video",
    "interview_engine.media.frames_faces": "video",
    "interview_engine.llm": "language models",
    "interview_engine.llm.backend": "language models",
    "interview_engine.llm.errors": "language models",
}
"""The plugin API's source modules and the group each one's names are listed under."""
SCAFFOLD_EXAMPLE = ("myvendor", "evaluator")


# ---------------------------------------------------------------------------------------------- helpers

def first_line(text: str | None) -> str:
    return (inspect.cleandoc(text).split("\n\n")[0].replace("\n", " ") if text else "").strip()


def doc(text: str | None) -> str:
    return inspect.cleandoc(text) if text else ""


def attribute_docs(source: str) -> dict[str, str]:
    """Docstrings written under module- or class-level assignments: ``NAME = ...`` then a string."""
    found: dict[str, str] = {}
    body = ast.parse(textwrap.dedent(source)).body
    if len(body) == 1 and isinstance(body[0], ast.ClassDef):
        body = body[0].body
    for node, after in itertools.pairwise(body):
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if (isinstance(target, ast.Name) and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)):
            found[target.id] = inspect.cleandoc(after.value.value)
    return found


def signature(name: str, function: Callable[..., Any]) -> str:
    """``name(arg: type, ...) -> type`` as written in the source (annotations are strings there)."""
    sig = inspect.signature(function)
    params = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        if p.kind is p.KEYWORD_ONLY and not any(q.startswith("*") for q in params):
            params.append("*")
        text = f"{p.name}: {p.annotation}" if p.annotation is not p.empty else p.name
        if p.default is not p.empty:
            text += f" = {p.default!r}"
        params.append(("*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else "") + text)
    returns = "" if sig.return_annotation is sig.empty else f" -> {sig.return_annotation}"
    prefix = "async " if inspect.iscoroutinefunction(function) else ""
    return f"{prefix}{name}({', '.join(params)}){returns}"


def type_text(annotation: Any) -> str:
    """A field's type as a reader wants it: ``list[Answer]``, ``"en" | "ko"``, ``int | None``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is type(None):
        return "None"
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_text(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))


def constraints(field: FieldInfo) -> str:
    words = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "length ≥", "max_length": "length ≤"}
    found = []
    for item in field.metadata:
        for attribute, word in words.items():
            value = getattr(item, attribute, None)
            if value is not None:
                found.append(f"{word} {value}")
    return ", ".join(found)


def default_text(field: FieldInfo, constants: dict[int, str]) -> str:
    if field.default_factory is not None:
        factory = field.default_factory
        return {list: "`[]`", dict: "`{}`"}.get(factory, f"`{getattr(factory, '__name__', 'factory')}()`")  # type: ignore[call-overload]
    if field.is_required():
        return "required"
    if id(field.default) in constants:
        return f"`{constants[id(field.default)]}`"
    return f"`{value_text(field.default)}`"


def value_text(value: Any) -> str:
    """A constant as a reader wants it: JSON for plain values, the type for type aliases."""
    if isinstance(value, str | bool | int | float | None):
        return json.dumps(value)
    if typing.get_origin(value) is not None:
        return type_text(value)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return json.dumps(list(value))
    if isinstance(value, tuple):
        return f"{len(value)} {type(value[0]).__name__}" if value else "()"
    return repr(value)


def table(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- sections

def plugin_api_section() -> str:
    rows: dict[str, list[list[str]]] = {}
    for source, names in plugin_api._EXPORTS.items():
        if source not in GROUPS:
            raise SystemExit(f"scripts/gen_docs.py: give the plugin API's module {source} a group in GROUPS")
        module = importlib.import_module(source)
        notes = attribute_docs(inspect.getsource(module))
        for name in names:
            value = getattr(module, name)
            if name in notes:
                what = first_line(notes[name])
            elif callable(value) and value.__doc__:
                what = first_line(value.__doc__)
            else:
                what = f"`{value_text(value)}`"
            rows.setdefault(GROUPS[source], []).append([f"`{name}`", what])
    parts = []
    for group in dict.fromkeys(GROUPS.values()):
        if group in rows:
            ordered = sorted(rows[group], key=lambda row: row[0].lower())
            parts.append(f"**{group.capitalize()}**\n\n" + table(["name", "what"], ordered))
    return "\n\n".join(parts)


def hook_names() -> list[str]:
    """Every hook spec, in source order."""
    return [name for name, fn in vars(hookspecs).items()
            if inspect.isfunction(fn) and hasattr(fn, f"{hookspecs.PROJECT}_spec")]


def hooks_section() -> str:
    protocols = {hook: providers.FAMILIES[family] for family, hook in hookspecs.PROVIDER_HOOKS.items()}
    register = [n for n in hook_names() if n in protocols]
    lifecycle = [n for n in hook_names() if n not in protocols]
    parts = ["### Register hooks\n\nEach receives a `register(name, factory)` callable."]
    for name in register:
        parts.append(f"#### `{name}`\n\n`{signature(name, getattr(hookspecs, name))}`\n\n"
                     f"{doc(getattr(hookspecs, name).__doc__)}\n\n{protocol_text(protocols[name])}")
    parts.append("### Lifecycle hooks\n\n" + first_paragraph_of_lifecycle())
    for name in lifecycle:
        parts.append(f"#### `{name}`\n\n`{signature(name, getattr(hookspecs, name))}`\n\n"
                     f"{doc(getattr(hookspecs, name).__doc__)}")
    return "\n\n".join(parts)


def first_paragraph_of_lifecycle() -> str:
    paragraphs = doc(hookspecs.__doc__).split("\n\n")
    return next(p for p in paragraphs if p.startswith("Lifecycle hooks")).replace("\n", " ")


def protocol_text(protocol: type) -> str:
    lines = [f"The provider implements `{protocol.__name__}` (`interview_engine.plugin_api.{protocol.__name__}`): "
             f"{doc(protocol.__doc__)}", ""]
    for name, function in protocol.__dict__.items():
        if inspect.isfunction(function) and not name.startswith("_"):
            lines.append(f"- `{signature(name, function)}`" + (f": {first_line(function.__doc__)}"
                                                               if function.__doc__ else ""))
    return "\n".join(lines)


def reachable_models() -> list[type[BaseModel]]:
    """Models in the annotations of the provider protocols and the hooks, and every model in their fields."""
    namespace = {**vars(models), **{n: getattr(plugin_api, n) for n in plugin_api.__all__}}
    annotations: list[Any] = []
    for protocol in providers.FAMILIES.values():
        for function in protocol.__dict__.values():
            if inspect.isfunction(function):
                annotations += [p.annotation for p in inspect.signature(function).parameters.values()]
                annotations.append(inspect.signature(function).return_annotation)
    for name in hook_names():
        annotations += [p.annotation for p in inspect.signature(getattr(hookspecs, name)).parameters.values()]
    found: dict[str, type[BaseModel]] = {}
    pending = [namespace.get(word) for text in annotations if isinstance(text, str)
               for word in re.findall(r"[A-Za-z_]\w*", text)]
    while pending:
        item = pending.pop()
        if isinstance(item, type) and issubclass(item, BaseModel) and item.__name__ not in found:
            found[item.__name__] = item
            pending += [t for f in item.model_fields.values() for t in nested_types(f.annotation)]
    return [found[name] for name in sorted(found)]


def nested_types(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from nested_types(arg)


def models_section() -> str:
    constants = {id(v): n for n, v in vars(models).items() if n.isupper()}
    parts = []
    for model in reachable_models():
        notes = attribute_docs(inspect.getsource(model))
        rows = [[f"`{name}`", f"`{type_text(f.annotation)}`", constraints(f), default_text(f, constants),
                 f.description or notes.get(name, "")] for name, f in model.model_fields.items()]
        parts.append(f"#### `{model.__name__}`\n\n{doc(model.__doc__)}\n\n"
                     + table(["field", "type", "constraints", "default", "what"], rows))
    return "\n\n".join(parts)


def conformance_section() -> str:
    tree = ast.parse(inspect.getsource(conformance))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    suites = [name for name in conformance.__all__ if name.endswith("Conformance")]
    parts = []
    for name in suites:
        node = classes[name]
        bases = [ast.unparse(b) for b in node.bases if ast.unparse(b) in suites]
        lines = [f"#### `{name}`" + (f" (a `{bases[0]}`)" if bases else ""), "", doc(ast.get_docstring(node))]
        notes = attribute_docs(ast.unparse(node))
        fixtures, settings, tests = [], [], []
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                if any("fixture" in ast.unparse(d) for d in item.decorator_list):
                    fixtures.append(f"- fixture `{item.name}`: {first_line(ast.get_docstring(item))}")
                elif item.name.startswith("test_"):
                    tests.append(f"`{item.name}`")
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                value = ast.unparse(item.value) if item.value else ""
                note = notes.get(item.target.id, "").replace("\n", " ")
                settings.append(f"- `{item.target.id} = {value}`" + (f": {note}" if note else ""))
        lines += ["", *fixtures, *settings]
        if tests:
            lines += ["", "Tests: " + ", ".join(tests) + "."]
        parts.append("\n".join(lines).replace("\n\n\n", "\n\n"))
    return "\n\n".join(parts)


def scaffold_section() -> str:
    name, family = SCAFFOLD_EXAMPLE
    values = template_values(name, family)
    module = FAMILIES[family].module
    files = [
        ("pyproject.toml", "toml", render("common/pyproject.toml", values), None),
        (f"src/{values['package']}/plugin.py", "python", render("common/plugin.py", values), None),
        (f"src/{values['package']}/{module}.py", "python", render(f"{family}/provider.py", values), None),
        (f"tests/test_{name}.py", "python", render(f"{family}/test.py", values),
         "it imports the generated package, which is not installed here; tests/core/test_new_plugin.py "
         "installs and runs it"),
    ]
    parts = []
    for path, language, text, skip in files:
        directive = f'<!-- skip: next "{skip}" -->\n' if skip else ""
        parts.append(f"`{path}`:\n\n{directive}```{language}\n{text.rstrip()}\n```")
    return "\n\n".join(parts)


SECTIONS: dict[str, Callable[[], str]] = {
    "plugin-api": plugin_api_section,
    "hooks": hooks_section,
    "models": models_section,
    "conformance": conformance_section,
    "scaffold": scaffold_section,
}


def generate(text: str) -> str:
    """``text`` with every generated section rewritten; a section named in the file but unknown here, or
    known here but missing from the file, is an error."""
    named = {m.group("name") for m in SECTION.finditer(text)}
    if named != set(SECTIONS):
        raise SystemExit(f"scripts/gen_docs.py: docs/plugins.md has sections {sorted(named)}, "
                         f"expected {sorted(SECTIONS)}")
    return SECTION.sub(lambda m: m.group(1) + "\n" + SECTIONS[m.group("name")]() + "\n\n" + m.group(3), text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether docs/plugins.md is current")
    args = parser.parse_args()
    current = PLUGINS_MD.read_text(encoding="utf-8")
    wanted = generate(current)
    if args.check:
        if wanted != current:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True),
                                                       "docs/plugins.md", "generated"))
            return 1
        return 0
    PLUGINS_MD.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
