"""One live Deepgram stream that survives dropped sockets.

Audio read from the caller is kept until a final result covers it. When the socket drops, the stream
reconnects and sends that unacknowledged audio again before any new audio, then shifts the new
connection's times by where the replay starts, so events stay in the answer's own time line.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
from anyio.abc import ObjectSendStream

from interview_engine.plugin_api import (
    InvalidAudio,
    TranscriptEvent,
    TranscriptionError,
    aligned_pcm16,
    pcm16k_seconds,
    sole_error,
)

log = logging.getLogger(__name__)

Connect = Callable[[], AbstractAsyncContextManager[Any]]


class _Dropped(Exception):
    """The socket closed without our CloseStream."""


class LiveStream:
    """Pumps one audio stream through as many connections as it takes; see the module docstring."""

    def __init__(self, connect: Connect, *, keepalive_s: float, max_reconnects: int, backoff_s: float
                 ) -> None:
        self._connect = connect
        self.keepalive_s = keepalive_s
        self.max_reconnects = max_reconnects
        self.backoff_s = backoff_s
        self._inbox_send, self._inbox = anyio.create_memory_object_stream[bytes](64)
        self.pending: deque[tuple[float, bytes]] = deque()
        """Audio sent but not yet covered by a final result: (answer time, chunk)."""
        self.taken_s = 0.0
        self.reconnects = 0
        self._closing = False
        self._progress = False
        """A final result arrived since the last drop: the connection was doing its job."""

    async def read(self, audio: AsyncIterable[bytes]) -> None:
        """Take the caller's audio (whole 16-bit samples) into the inbox until it ends."""
        async with self._inbox_send:
            async for chunk in aligned_pcm16(audio):
                try:
                    await self._inbox_send.send(chunk)
                except anyio.BrokenResourceError:
                    return  # the stream failed; its error is the one to report

    async def run(self, emit: ObjectSendStream[TranscriptEvent]) -> None:
        """Connect, stream, reconnect after drops; closes ``emit`` when the transcript is complete."""
        from websockets.exceptions import ConnectionClosed

        failures = 0
        async with emit, self._inbox:
            while True:
                try:
                    async with self._connect() as socket:
                        await self._session(socket, emit)
                    return
                except (_Dropped, ConnectionClosed, OSError) as exc:
                    failures = 1 if self._progress else failures + 1
                    self._progress = False
                    self._check_fatal(exc)
                    if failures > self.max_reconnects:
                        raise TranscriptionError(
                            f"lost the Deepgram connection {failures} times without progress; "
                            f"last: {exc or type(exc).__name__}"
                        ) from exc
                    self.reconnects += 1
                    replay_s = sum(pcm16k_seconds(len(c)) for _, c in self.pending)
                    log.warning("Deepgram connection lost (%s); reconnecting and replaying %.2f s of audio",
                                exc or type(exc).__name__, replay_s)
                    await anyio.sleep(self.backoff_s * failures)

    @staticmethod
    def _check_fatal(exc: BaseException) -> None:
        rcvd = getattr(exc, "rcvd", None)
        if rcvd is not None and rcvd.code == 1008:
            raise InvalidAudio(f"Deepgram could not decode the audio: {rcvd.reason}") from exc

    async def _session(self, socket: Any, emit: ObjectSendStream[TranscriptEvent]) -> None:
        base = self.pending[0][0] if self.pending else self.taken_s
        self._closing = False
        for _, chunk in list(self.pending):
            await socket.send_media(chunk)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._send_loop, socket)
                await self._receive_loop(socket, base, emit)
                tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            raise sole_error(group) from None

    async def _send_loop(self, socket: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                with anyio.move_on_after(self.keepalive_s) as idle:
                    try:
                        chunk = await self._inbox.receive()
                    except anyio.EndOfStream:
                        self._closing = True
                        await socket.send_close_stream()
                        return
                if idle.cancelled_caught:
                    await socket.send_keep_alive()
                    continue
                self.pending.append((self.taken_s, chunk))
                self.taken_s += pcm16k_seconds(len(chunk))
                await socket.send_media(chunk)
        except ConnectionClosed:
            return  # the receive loop sees the drop and reconnects

    async def _receive_loop(self, socket: Any, base: float, emit: ObjectSendStream[TranscriptEvent]) -> None:
        async for message in socket:
            kind = getattr(message, "type", None)
            if kind == "Results":
                await self._results(message, base, emit)
            elif kind == "UtteranceEnd":
                await emit.send(TranscriptEvent(kind="utterance_end", end=base + message.last_word_end))
            elif kind == "Error":
                raise TranscriptionError(f"Deepgram error: {getattr(message, 'description', message)}")
        if not self._closing:
            raise _Dropped("the server closed the stream")

    async def _results(self, message: Any, base: float, emit: ObjectSendStream[TranscriptEvent]) -> None:
        alternative = message.channel.alternatives[0]
        text = alternative.transcript.strip()
        start, end = base + message.start, base + message.start + message.duration
        if message.is_final:
            self._acknowledge(end)
        if text:
            kind = "final" if message.is_final else "interim"
            confidence = min(max(alternative.confidence, 0.0), 1.0)
            event = TranscriptEvent(kind=kind, text=text, start=start, end=end, confidence=confidence)
            await emit.send(event)

    def _acknowledge(self, until: float) -> None:
        """Forget audio that a final result covers."""
        self._progress = True
        while self.pending and self.pending[0][0] + pcm16k_seconds(len(self.pending[0][1])) <= until + 1e-6:
            self.pending.popleft()
