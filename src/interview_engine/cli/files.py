"""Reading the CLI's JSON input files, with one-line errors that point at the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InterviewEngineError, InvalidAnswer
from ..models import InterviewSpec
from ..session import check_answer_text, parse_spec

MAX_FILE_BYTES = 10 * 1024 * 1024


class InputFileError(InterviewEngineError):
    """A file given on the command line is missing, too large, not UTF-8 or not valid JSON."""


def read_json(path: Path, what: str) -> Any:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputFileError(f"cannot read {what} file {str(path)!r}: {exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise InputFileError(f"{what} file {str(path)!r} is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{what} file {str(path)!r} is not valid UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{what} file {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc


def read_spec(path: Path) -> InterviewSpec:
    data = read_json(path, "spec")
    if not isinstance(data, dict):
        raise InputFileError(f"spec file {str(path)!r} must hold a JSON object, not {type(data).__name__}")
    return parse_spec(data)


def read_answers(path: Path) -> list[str]:
    """Answers in interview order: a list of strings or of {"text": ...} objects, or {"answers": [...]}.
    Every answer is checked before the interview starts, so a bad file stores nothing."""
    data = read_json(path, "answers")
    if isinstance(data, dict) and set(data) == {"answers"}:
        data = data["answers"]
    if not isinstance(data, list):
        raise InputFileError(f"answers file {str(path)!r} must hold a JSON list of answers")
    answers = []
    for i, item in enumerate(data, start=1):
        text = item.get("text") if isinstance(item, dict) else item
        try:
            answers.append(check_answer_text(text))
        except InvalidAnswer as exc:
            raise InvalidAnswer(f"answer {i} in {str(path)!r}: {exc}") from exc
    return answers
