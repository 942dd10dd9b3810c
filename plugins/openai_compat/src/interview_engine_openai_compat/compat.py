"""JSON schemas as servers' grammar converters can take them.

llama-cpp-python's converter (behind its server's ``response_format``) does not escape a backslash in
a string literal, so an ``enum`` or ``const`` string holding a double quote or a backslash yields a
grammar that fails to parse, and the server crashes. Such values are left out here; an enum with none
left becomes a string of at most the longest value's length. The caller validates the output anyway.
"""

from __future__ import annotations

from typing import Any

UNSAFE_CHARACTERS = ('"', "\\")
SCHEMA_LISTS = ("items", "prefixItems", "anyOf", "oneOf", "allOf")
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains")


def without_unsafe_literals(schema: Any) -> Any:
    """A copy of ``schema`` whose string literals hold no double quote or backslash."""
    if not isinstance(schema, dict):
        return schema
    out = {key: value for key, value in schema.items() if key not in ("enum", "const")}
    for key in SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            out[key] = [without_unsafe_literals(s) for s in schema[key]]
    for key in SCHEMA_VALUES:
        if isinstance(schema.get(key), dict):
            out[key] = without_unsafe_literals(schema[key])
    for key in SCHEMA_MAPS:
        if isinstance(schema.get(key), dict):
            out[key] = {name: without_unsafe_literals(s) for name, s in schema[key].items()}
    literals = schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else None
    if literals is not None:
        safe = [value for value in literals if not _unsafe(value)]
        if safe:
            out["enum"] = safe
        else:
            out.update(type="string", maxLength=max(len(value) for value in literals))
    return out


def _unsafe(value: Any) -> bool:
    return isinstance(value, str) and any(c in value for c in UNSAFE_CHARACTERS)
