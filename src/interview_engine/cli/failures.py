"""How a command that stops early tells the user why: one visible line on stderr and an exit code.

This is the one place exceptions become messages. The SDK's own errors are shown as they are; anything
else (a bug, a library's error) is shown as its type and message, with its traceback only under ``-v``.
Notes added to an exception (``add_note``: what became of the interview, how to resume it) follow the
message on the same line.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from ..errors import InterviewEngineError
from .terminal import OutputClosed, one_line

log = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
MAX_MESSAGE_CHARS = 2000
"""Longest exception message shown (notes such as how to resume follow it in full)."""


class CommandError(InterviewEngineError):
    """A command cannot go on (the message says why and what to do)."""


def report_failure(exc: BaseException) -> int:
    """Tell the user why the command stopped and return its exit code; only SystemExit passes through."""
    leaves = _leaves(exc)
    if any(isinstance(e, SystemExit) for e in leaves):
        raise exc
    notes = [*getattr(exc, "__notes__", ())] if exc not in leaves else []
    if any(isinstance(e, OutputClosed) for e in leaves):
        _discard_stdout()
        return EXIT_ERROR
    if any(isinstance(e, KeyboardInterrupt) for e in leaves):
        _tell("; ".join(["interrupted", *notes, *_notes(leaves)]))
        return EXIT_INTERRUPTED
    for leaf in leaves:
        if not isinstance(leaf, InterviewEngineError):
            log.info("where the %s below came from:", type(leaf).__name__, exc_info=leaf)
    _tell("error: " + "; ".join([*map(_message, leaves), *notes]))
    return EXIT_ERROR


def log_stray_thread_errors() -> None:
    """Route exceptions that escape a thread (so reach nobody) to the log, traceback shown only under -v.

    Such an exception cannot be why a command failed: that is reported by the task that waited. One
    seen in practice: aiosqlite's connection thread, after a failed connect, answers a stop request only
    once the event loop has closed and prints "RuntimeError: Event loop is closed" on its way out."""
    threading.excepthook = _log_thread_error


def _log_thread_error(args: threading.ExceptHookArgs) -> None:
    name = args.thread.name if args.thread is not None else "a thread"
    log.info("%s ended with an exception nobody waited for: %s: %s", name, args.exc_type.__name__,
             args.exc_value, exc_info=args.exc_value)


def _tell(message: str) -> None:
    print(one_line(message), file=sys.stderr)


def _message(exc: BaseException) -> str:
    said = str(exc) if len(str(exc)) <= MAX_MESSAGE_CHARS else str(exc)[:MAX_MESSAGE_CHARS] + " …"
    text = "; ".join([said, *getattr(exc, "__notes__", ())])
    if isinstance(exc, InterviewEngineError):
        return text
    where = "" if log.isEnabledFor(logging.INFO) else " (run with -v to see where it came from)"
    return f"{type(exc).__name__}: {text}{where}"


def _notes(leaves: list[BaseException]) -> list[str]:
    return [note for leaf in leaves for note in getattr(leaf, "__notes__", ())]


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (possibly nested) exception groups, or the exception itself."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush finds no closed pipe to complain about."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (e.g. captured in a test)
        pass
    finally:
        os.close(devnull)
