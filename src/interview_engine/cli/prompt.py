"""Typed answers from the terminal: lines up to an empty line, bounded in size, read off the event loop.

Reading uses raw ``os.read``-style calls and keeps its own buffer, so a thread blocked in a read holds no
lock of ``sys.stdin``; that thread is a daemon, so Ctrl-C or the end of the command never waits for the
candidate to press Enter. An answer that cannot be used (too long) is read to its end and then rejected,
so the next answer starts clean.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

from ..errors import InvalidAnswer
from ..models import MAX_ANSWER_CHARS

ANSWER_BYTES_LIMIT = 4 * MAX_ANSWER_CHARS + 4096
"""Bytes kept of one typed answer: MAX_ANSWER_CHARS characters of any script, with white space around them.
Longer input is drained and rejected without being held in memory."""
READ_SIZE = 65536

T = TypeVar("T")


@dataclass(frozen=True)
class _Line:
    data: bytes
    too_long: bool = False


class AnswerPrompt:
    """Reads answers from ``read`` (``functools.partial(os.read, fd)``), calling ``show_prompt`` before each line."""

    def __init__(self, read: Callable[[int], bytes], show_prompt: Callable[[], None], *,
                 limit: int = ANSWER_BYTES_LIMIT) -> None:
        self._read, self._show_prompt, self._limit = read, show_prompt, limit
        self._buffer = bytearray()
        self._ended = False

    def read_answer(self) -> bytes | None:
        """The raw bytes of the next answer (its lines joined with newlines; ``b""`` for an empty line), or
        None once input has ended. Raises InvalidAnswer, after reading the whole answer, if it is too long."""
        lines: list[bytes] = []
        size, too_long = 0, False
        while True:
            self._show_prompt()
            line = self._next_line(max(0, self._limit - size))
            if line is None or (not line.data and not line.too_long):  # end of input, or an empty line
                break
            too_long = too_long or line.too_long
            size += len(line.data) + 1
            lines.append(line.data)
        if too_long:
            raise InvalidAnswer(f"answer is longer than the limit of {MAX_ANSWER_CHARS:,} characters")
        if line is None and not lines:
            return None
        return b"\n".join(lines)

    def _next_line(self, budget: int) -> _Line | None:
        """The next line without its line ending, or None at the end of input. A line over ``budget`` bytes
        is read to its end but not kept."""
        too_long = False
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                data = bytes(self._buffer[:end]).removesuffix(b"\r")
                del self._buffer[:end + 1]
                too_long = too_long or len(data) > budget
                return _Line(b"" if too_long else data, too_long)
            if len(self._buffer) > budget:
                self._buffer.clear()
                too_long = True
            chunk = b"" if self._ended else self._read(READ_SIZE)
            if not chunk:
                self._ended = True  # a terminal delivers more after Ctrl-D; an ended interview reads no more
                if not self._buffer and not too_long:
                    return None
                data, too_long = bytes(self._buffer), too_long or len(self._buffer) > budget
                self._buffer.clear()
                return _Line(b"" if too_long else data, too_long)
            self._buffer += chunk


async def in_daemon_thread(call: Callable[[], T]) -> T:
    """Run a blocking call (a read from the terminal) in a daemon thread and wait for its result. Unlike
    anyio's worker threads it never delays the end of the program, so an interrupted prompt ends at once."""
    token = anyio.lowlevel.current_token()
    done = anyio.Event()
    outcome: list[tuple[T | None, BaseException | None]] = []

    def work() -> None:
        try:
            outcome.append((call(), None))
        except BaseException as exc:  # handed to the waiting task
            outcome.append((None, exc))
        try:
            anyio.from_thread.run_sync(done.set, token=token)
        except Exception:  # the event loop has ended: nobody waits for this answer any more
            pass

    threading.Thread(target=work, name="terminal input", daemon=True).start()
    await done.wait()
    value, error = outcome[0]
    if error is not None:
        raise error
    return value  # type: ignore[return-value]
