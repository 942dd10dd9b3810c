"""The audio pipeline: a live PCM stream in, transcript events and one "answer ended" event out.

::

    options = TranscriptionOptions(language="en", vocabulary=["PostgreSQL"])
    pipeline = AudioPipeline(transcriber, options, input_format=PcmFormat(48000, channels=2))
    async with pipeline.listen(track_chunks) as events:
        async for event in events:
            if isinstance(event, AnswerEnded) and event.text:
                await session.answer(question.id, event.text, **event.answer_kwargs())
            else:
                show_live(event)          # interim / final TranscriptEvent

Audio is converted to 16 kHz mono s16le, watched by the :class:`~.endpoint.Endpointer`, and handed to
the transcriber through a bounded :class:`DropBuffer`: a transcriber that falls behind loses the oldest
audio (counted in :class:`PipelineStats`) instead of growing a queue without bound.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from pydantic import Field

from ..models import Record, Text, TranscriptEvent, TranscriptionOptions, TranscriptSegment
from ..providers import Transcriber
from .audio import PCM16K, PcmConverter, PcmFormat, pcm16k_seconds
from .endpoint import EndpointConfig, Endpointer

log = logging.getLogger(__name__)

EndReason = Literal["silence", "end_of_audio", "max_duration", "no_audio"]


class AnswerEnded(Record):
    """The end of a spoken answer: its final text, segments and duration, and why it ended."""

    kind: Literal["answer_ended"] = "answer_ended"
    text: Text
    segments: list[TranscriptSegment] = Field(default_factory=list)
    duration_s: Annotated[float, Field(ge=0)]
    reason: EndReason
    dropped_s: Annotated[float, Field(ge=0)] = 0.0
    """Seconds of audio dropped because the transcriber fell behind."""

    def answer_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Session.answer(question_id, text, **kwargs)``."""
        return {"source": "speech", "duration_s": self.duration_s, "segments": self.segments}


PipelineEvent = TranscriptEvent | AnswerEnded


@dataclass
class PipelineStats:
    """Counters of one pipeline run."""

    received_s: float = 0.0
    dropped_chunks: int = 0
    dropped_s: float = 0.0


class DropBuffer:
    """A bounded FIFO of 16 kHz PCM chunks between a live producer and one consumer.

    ``put`` never blocks: when the buffer holds more than ``max_s`` seconds, the oldest chunks are
    dropped and counted in ``stats``. Iterate it (once) to consume; iteration ends after ``close``.
    """

    def __init__(self, max_s: float, stats: PipelineStats | None = None) -> None:
        if max_s <= 0:
            raise ValueError("max_s must be positive")
        self.max_bytes = int(max_s * 2 * 16_000)
        self.stats = stats if stats is not None else PipelineStats()
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._closed = False
        self._ready = anyio.Event()

    def put(self, chunk: bytes) -> None:
        if self._closed:
            raise RuntimeError("put on a closed DropBuffer")
        if not chunk:
            return
        self._chunks.append(chunk)
        self._size += len(chunk)
        while self._size > self.max_bytes and len(self._chunks) > 1:
            old = self._chunks.popleft()
            self._size -= len(old)
            self.stats.dropped_chunks += 1
            self.stats.dropped_s += pcm16k_seconds(len(old))
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        while not self._chunks:
            if self._closed:
                raise StopAsyncIteration
            self._ready = anyio.Event()
            await self._ready.wait()
        chunk = self._chunks.popleft()
        self._size -= len(chunk)
        return chunk


class AudioPipeline:
    """Connects a PCM stream to a Transcriber for one answer; see the module docstring."""

    def __init__(
        self,
        transcriber: Transcriber,
        options: TranscriptionOptions | None = None,
        *,
        input_format: PcmFormat = PCM16K,
        endpoint: EndpointConfig | None = None,
        buffer_s: float = 5.0,
        max_answer_s: float = 600.0,
        max_pending_events: int = 64,
    ) -> None:
        self.transcriber = transcriber
        self.options = options or TranscriptionOptions()
        self.input_format = input_format
        self.endpoint = endpoint or EndpointConfig()
        self.buffer_s = buffer_s
        self.max_answer_s = max_answer_s
        self.max_pending_events = max_pending_events
        self.stats = PipelineStats()

    @asynccontextmanager
    async def listen(self, source: AsyncIterable[bytes]) -> AsyncIterator[ObjectReceiveStream[PipelineEvent]]:
        """Run the pipeline on ``source`` until the answer ends; yields the stream of events.

        The last event is an :class:`AnswerEnded`. Bad audio raises InvalidAudio and a transcriber
        failure its TranscriptionError, from the ``async with``. Leaving early stops everything.
        """
        self.stats = PipelineStats()
        run = _Run(self, DropBuffer(self.buffer_s, self.stats))
        send, receive = anyio.create_memory_object_stream[PipelineEvent](self.max_pending_events)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(run.pump, source)
                tg.start_soon(run.transcribe, send)
                async with receive:
                    yield receive
                tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            raise sole_error(group) from None


class _Run:
    """The state of one ``listen``: the pump feeding the buffer and the task draining it."""

    def __init__(self, pipeline: AudioPipeline, buffer: DropBuffer) -> None:
        self.p = pipeline
        self.buffer = buffer
        self.endpointer = Endpointer(pipeline.endpoint)
        self.reason: EndReason = "end_of_audio"

    async def pump(self, source: AsyncIterable[bytes]) -> None:
        converter = PcmConverter(self.p.input_format)
        async for chunk in source:  # not closed on break: the host may read the next answer from it
            if self._take(converter.feed(chunk)):
                break
        else:
            self._take(converter.flush())
        self.buffer.close()

    def _take(self, pcm: bytes) -> bool:
        """Buffer converted audio; True when the answer is over."""
        stats = self.buffer.stats
        stats.received_s += pcm16k_seconds(len(pcm))
        self.buffer.put(pcm)
        if any(e.kind == "answer_ended" for e in self.endpointer.feed(pcm)):
            self.reason = "silence"
        elif stats.received_s >= self.p.max_answer_s:
            self.reason = "max_duration"
        return self.reason != "end_of_audio"

    async def transcribe(self, send: ObjectSendStream[PipelineEvent]) -> None:
        finals: list[TranscriptEvent] = []
        async with send:
            stream = self.p.transcriber.stream(self.buffer, self.p.options)
            async with aclosing(stream) as events:  # type: ignore[type-var]
                async for event in events:
                    if event.kind == "final" and event.text.strip():
                        finals.append(event)
                    await send.send(event)
            await send.send(self._ended(finals))

    def _ended(self, finals: list[TranscriptEvent]) -> AnswerEnded:
        stats = self.buffer.stats
        reason: EndReason = "no_audio" if stats.received_s == 0 else self.reason
        duration = self.endpointer.ended if reason == "silence" else stats.received_s
        segments = [TranscriptSegment(text=e.text.strip(), start=e.start, end=e.end, confidence=e.confidence)
                    for e in finals]
        text = " ".join(s.text for s in segments)
        log.debug("answer ended (%s) after %.2f s: %d chars, %.2f s dropped", reason, duration, len(text),
                  stats.dropped_s)
        return AnswerEnded(text=text, segments=segments, duration_s=duration or 0.0, reason=reason,
                           dropped_s=stats.dropped_s)


def sole_error(group: BaseExceptionGroup[Any]) -> BaseException:
    """The one error inside a task group's exception group (the group itself if there are more), so a
    caller sees ``InvalidAudio`` rather than an ``ExceptionGroup`` wrapping it."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    return leaves[0] if len(leaves) == 1 else group
