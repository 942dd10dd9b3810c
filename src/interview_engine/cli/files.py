"""Reading the files named on the command line: the one place untrusted input files are opened.

Every file is read with a bounded read (pipes, FIFOs and devices report no size, so the size on disk is
never trusted), must be UTF-8 (a leading byte order mark is allowed), and every way it can be wrong ends
in an ``InputFileError`` with a one-line message that names the file and the problem.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from ..errors import InterviewEngineError, InvalidAnswer
from ..models import InterviewSpec
from ..session import parse_spec
from ..settings import CONFIG_ENV, DEFAULT_CONFIG_FILE
from .answers import FileAnswer, file_answer

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_NESTING = 32
"""Deepest nesting of lists and objects in a JSON input (a spec needs 3)."""
MAX_NUMBER_DIGITS = 100


class InputFileError(InterviewEngineError):
    """A file given on the command line cannot be read, is too large, or is not valid UTF-8, JSON or TOML."""


class _BadValue(ValueError):
    """A JSON value the parser accepts but an input file must not hold; the text says what, after the file name."""


def read_text(path: Path, what: str, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a file, FIFO or pipe (``/dev/stdin``), reading at most ``limit`` bytes."""
    name = _name(path, what)
    try:
        with open(path, "rb") as stream:
            raw = stream.read(limit + 1)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputFileError(f"cannot read {name}: {reason}") from exc
    if len(raw) > limit:
        raise InputFileError(f"{name} is larger than the limit of {limit:,} bytes")
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return raw[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name} is not valid UTF-8 (byte {bom + exc.start})") from exc


def read_json(path: Path, what: str) -> Any:
    """A JSON document in strict form: no NaN or Infinity, no duplicate keys, no numbers too long or too
    large for their type, at most MAX_NESTING levels deep."""
    name = _name(path, what)
    text = read_text(path, what)
    if not text.strip():
        raise InputFileError(f"{name} is empty")
    try:
        data = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_reject_constant,
                          object_pairs_hook=_object_without_duplicates)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except _BadValue as exc:
        raise InputFileError(f"{name} {exc}") from exc
    except RecursionError as exc:
        raise InputFileError(f"{name} is nested deeper than {MAX_NESTING} levels") from exc
    if _deeper_than(data, MAX_NESTING):
        raise InputFileError(f"{name} is nested deeper than {MAX_NESTING} levels")
    return data


def read_spec(path: Path) -> InterviewSpec:
    data = read_json(path, "spec")
    if not isinstance(data, dict):
        raise InputFileError(f"{_name(path, 'spec')} must hold a JSON object, not {_json_type(data)}")
    return parse_spec(data)


def read_answers(path: Path, most: int) -> list[FileAnswer]:
    """Answers: a list of strings or of {"text": ...} objects (which may say which question they are for,
    see ``answers``), or {"answers": [...]}, at most ``most`` of them. Every answer is checked before the
    interview starts, so a bad file stores nothing."""
    name = _name(path, "answers")
    data = read_json(path, "answers")
    if isinstance(data, dict) and set(data) == {"answers"}:
        data = data["answers"]
    if not isinstance(data, list):
        raise InputFileError(f"{name} must hold a JSON list of answers, not {_json_type(data)}")
    if len(data) > most:
        raise InputFileError(f"{name} holds {len(data):,} answers; this interview asks at most {most:,} questions")
    answers = []
    for i, item in enumerate(data, start=1):
        try:
            answers.append(file_answer(item))
        except InvalidAnswer as exc:
            raise InvalidAnswer(f"answer {i} in {str(path)!r}: {exc}") from exc
    return answers


def checked_config_file(given: Path | None) -> str | Path | None:
    """The settings file that will be used (``--config``, ``$INTERVIEW_ENGINE_CONFIG`` or
    ``./interview-engine.toml``), after checking that it is readable TOML within the size limit."""
    path = given or os.environ.get(CONFIG_ENV) or (DEFAULT_CONFIG_FILE if Path(DEFAULT_CONFIG_FILE).is_file() else None)
    if path is None or not Path(path).is_file():
        return path  # a missing file is reported by load_settings
    name = _name(Path(path), "config")
    text = read_text(Path(path), "config")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{name} is not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise InputFileError(f"{name} is not valid TOML: it is nested too deeply") from exc
    except ValueError as exc:  # a number too long to convert
        raise InputFileError(f"{name} is not valid TOML: {exc}") from exc
    return path


def _name(path: Path, what: str) -> str:
    return f"{what} file {str(path)!r}"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _parse_int(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > MAX_NUMBER_DIGITS:
        raise _BadValue(f"has a number with {count:,} digits; the limit is {MAX_NUMBER_DIGITS}")
    return int(digits)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadValue(f"has the number {text[:40]}, which is out of range")
    return value


def _reject_constant(name: str) -> NoReturn:
    raise _BadValue(f"is not valid JSON: {name} is not a JSON number")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _BadValue(f"has the key {key[:60]!r} twice in one object")
        obj[key] = value
    return obj


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and objects in ``data`` nest more than ``limit`` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in _containers(value))
    return False


def _containers(value: Any) -> Iterator[Any]:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return (c for c in children if isinstance(c, dict | list))
