"""The messages between the transcriber and its decoder processes: pickled tuples, each behind a 4-byte
length, over a Unix socket pair (both ends are this package's own code)."""

from __future__ import annotations

import pickle
import struct
from typing import Any

_HEADER = struct.Struct("!I")


def pack(message: tuple[Any, ...]) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


class FrameReader:
    """Feed it the bytes as they arrive; it returns the whole messages they complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[Any, ...]]:
        self._buffer += data
        messages = []
        at = 0
        while len(self._buffer) - at >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer, at)
            end = at + _HEADER.size + size
            if end > len(self._buffer):
                break
            messages.append(pickle.loads(self._buffer[at + _HEADER.size:end]))
            at = end
        del self._buffer[:at]
        return messages
