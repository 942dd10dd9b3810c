"""Untrusted text on a terminal: characters a terminal could act on are shown as escapes, never sent.

Answers, questions, feedback and error messages can hold ANSI/OSC escape sequences, C1 controls, carriage
returns, backspaces and bidi overrides that would retitle, clear or repaint the reader's terminal or hide
text. Everything the command prints goes through ``visible`` (plain text) or ``json_for_terminal`` (JSON,
whose content stays unchanged), and through ``emit``, which turns a closed stdout into ``OutputClosed``.
"""

from __future__ import annotations

import logging
import sys
import unicodedata

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
"""Control, format (bidi overrides, zero-width and invisible characters), line/paragraph separators, surrogates."""
_JOINERS = frozenset("\u200c\u200d")
"""Zero-width (non-)joiners: format characters that scripts and emoji need, and that no terminal acts on."""
_JSON_WHITESPACE = frozenset("\t\n\r")


class OutputClosed(Exception):
    """Standard output was closed by its reader (``interview-engine plugins | head -1``)."""


def is_unsafe(char: str) -> bool:
    """Whether a terminal could act on ``char`` or it would hide or reorder the text around it."""
    return not char.isprintable() and unicodedata.category(char) in _UNSAFE_CATEGORIES and char not in _JOINERS


def visible(text: str, *, keep: str = "") -> str:
    """``text`` with every unsafe character except those in ``keep`` written as a Python-style escape
    (``\\x1b``, ``\\u202e``, ``\\U000e0001``), so the reader sees it and the terminal ignores it."""
    if text.isprintable():
        return text
    return "".join(_escape(c) if c not in keep and is_unsafe(c) else c for c in text)


def one_line(text: str) -> str:
    """``text`` as one visible line: its lines joined with spaces, every other control character escaped."""
    return visible(" ".join(part.strip() for part in text.splitlines() if part.strip()))


def json_for_terminal(json_text: str) -> str:
    """Serialised JSON with every unsafe character inside its strings written as a ``\\uXXXX`` escape:
    the same JSON value, safe to show. (Raw tabs and line breaks in JSON text can only be white space
    between tokens, so they are kept.)"""
    if json_text.isascii() and json_text.isprintable():
        return json_text
    return "".join(_json_escape(c) if c not in _JSON_WHITESPACE and is_unsafe(c) else c for c in json_text)


def emit(text: str = "", *, end: str = "\n") -> None:
    """Write ``text`` (already made visible) to stdout at once; OutputClosed if nobody reads it any more."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise OutputClosed
    try:
        sys.stdout.write(text + end)
        sys.stdout.flush()
    except BrokenPipeError as exc:
        raise OutputClosed from exc


class VisibleFormatter(logging.Formatter):
    """Log records as visible text: the lines of a traceback are kept, control characters are escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record), keep="\n")


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _json_escape(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
