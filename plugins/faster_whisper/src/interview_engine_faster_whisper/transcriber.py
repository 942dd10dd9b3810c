"""FasterWhisperTranscriber: offline streaming speech-to-text on faster-whisper (CTranslate2).

Each stream is cut into speech segments (:mod:`.segments`); while a segment is in progress it is
re-decoded for a partial at a bounded rate, and when it ends it gets a final decode of its whole audio.
Decodes run on the transcriber's worker threads (:mod:`.pool`), shared by every stream over one loaded
model; the event loop only cuts audio and hands out events.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import anyio.lowlevel

from interview_engine.plugin_api import (
    EndpointConfig,
    Language,
    Transcript,
    TranscriptEvent,
    TranscriptionError,
    TranscriptionOptions,
    TranscriptSegment,
    aligned_pcm16,
    check_pcm16,
)

from .model import Decoded, Whisper, locate_model
from .options import WhisperOptions
from .pool import DecodePool, DecodeStats
from .segments import RATE, Segment, SpeechSegmenter

log = logging.getLogger(__name__)

SLICE_BYTES = RATE
"""Audio is cut into segments half a second at a time, yielding to the event loop in between."""


@dataclass(frozen=True)
class _Request:
    language: Language
    prompt: str | None
    interim: bool


@dataclass(frozen=True)
class _Decode:
    """A decode on its way: a final, or a partial of the segment in progress."""

    segment: Segment
    final: bool
    future: Future[Decoded]


class FasterWhisperTranscriber:
    """Offline transcriber on a faster-whisper model; options are :class:`.WhisperOptions` fields
    (``model_dir``, ``device``, ``compute_type``, ``cpu_threads``, ``workers``, ``beam_size``,
    ``segment_silence_s``, ``max_segment_s``, ``interim_every_s``).

    The language comes from each request; an English-only model (the default tiny.en) refuses Korean. The
    interview's vocabulary becomes Whisper's initial prompt.
    """

    def __init__(self, **options: Any) -> None:
        self.options = WhisperOptions.parse(options)
        self.model_dir = locate_model(self.options.model_dir)
        self._whisper = Whisper(self.model_dir, self.options)
        self._pool = DecodePool(self.options.workers, "faster-whisper")
        self._endpoint = EndpointConfig(silence_s=self.options.segment_silence_s)
        self._queue_limit = max(2, self.options.workers)
        self._closed = False

    @property
    def languages(self) -> tuple[Language, ...]:
        """The languages the loaded model transcribes."""
        return self._whisper.languages

    @property
    def stats(self) -> DecodeStats:
        return self._pool.stats

    @staticmethod
    def prompt(vocabulary: Sequence[str]) -> str | None:
        """Whisper's initial prompt for an interview's vocabulary: the terms as written, so the model
        prefers their spelling."""
        terms = [t.strip() for t in vocabulary if t.strip()]
        return ", ".join(terms) + "." if terms else None

    async def stream(
        self, audio: AsyncIterable[bytes], options: TranscriptionOptions
    ) -> AsyncIterator[TranscriptEvent]:
        """Transcribe live audio: partials of the segment in progress, then a final per segment.

        Events are handed out as audio arrives, and all remaining ones when it ends. A stream with
        ``max(2, workers)`` decodes waiting stops taking audio until one is done, so one long recording
        cannot queue ahead of every other stream (and a live source's buffer decides what to drop).
        """
        request = self._request(options)
        run = _StreamRun(self, request)
        try:
            async for chunk in aligned_pcm16(audio):
                for at in range(0, len(chunk), SLICE_BYTES):
                    run.feed(chunk[at:at + SLICE_BYTES])
                    for event in run.ready():
                        yield event
                    async for event in run.drain(keep=self._queue_limit):
                        yield event
                    await anyio.lowlevel.checkpoint()
            run.finish()
            async for event in run.drain():
                yield event
        finally:
            run.abandon()

    async def transcribe(self, audio: bytes, options: TranscriptionOptions) -> Transcript:
        """Transcribe a whole recording of 16 kHz mono s16le."""
        pcm = check_pcm16(audio)
        quiet = options.model_copy(update={"interim_results": False})
        finals = [e async for e in self.stream(_once(pcm), quiet) if e.kind == "final"]
        segments = [TranscriptSegment(text=e.text, start=e.start, end=e.end, confidence=e.confidence)
                    for e in finals]
        return Transcript(text=" ".join(s.text for s in segments), segments=segments)

    async def aclose(self) -> None:
        """Wait for running decodes, stop the worker threads and free the model."""
        if self._closed:
            return
        self._closed = True
        await self._pool.aclose()
        self._whisper.close()

    def _request(self, options: TranscriptionOptions) -> _Request:
        self._check_open()
        if options.language not in self.languages:
            raise TranscriptionError(
                f"the faster-whisper model at {self.model_dir} is English-only; for language "
                f"{options.language!r} give a multilingual model in transcriber_options "
                f'{{"model_dir": ...}}, or set transcriber = "deepgram" (pip install interview-engine-deepgram)'
            )
        return _Request(options.language, self.prompt(options.vocabulary), options.interim_results)

    def _check_open(self) -> None:
        if self._closed:
            raise TranscriptionError("the faster_whisper transcriber is closed")

    def _submit(self, segment: Segment, request: _Request, *, final: bool) -> Future[Decoded] | None:
        self._check_open()
        args = (segment.audio, request.language, request.prompt, final)
        if final:
            return self._pool.submit_final(self._whisper.decode, *args)
        return self._pool.submit_interim(self._whisper.decode, *args)


class _StreamRun:
    """One stream's segments and the decodes on their way, handed out in the order they were asked for."""

    def __init__(self, transcriber: FasterWhisperTranscriber, request: _Request) -> None:
        self.t = transcriber
        self.request = request
        self.segmenter = SpeechSegmenter(transcriber._endpoint, transcriber.options.max_segment_s)
        self.decodes: deque[_Decode] = deque()
        self.partial: _Decode | None = None
        self.partial_at = -math.inf
        """When the last partial started (monotonic seconds)."""
        self.interim_every = transcriber.options.interim_every_s

    def feed(self, pcm: bytes) -> None:
        for segment in self.segmenter.feed(pcm):
            self._final(segment)
        if self.request.interim:
            self._maybe_partial()

    def finish(self) -> None:
        for segment in self.segmenter.finish():
            self._final(segment)

    def ready(self) -> list[TranscriptEvent]:
        """Events of the decodes that are done, in order, up to the first still running."""
        events: list[TranscriptEvent] = []
        while self.decodes and self.decodes[0].future.done():
            events += self._events(self.decodes.popleft())
        return events

    async def drain(self, keep: int = 0) -> AsyncIterator[TranscriptEvent]:
        """Wait for decodes (without blocking the event loop) until at most ``keep`` are left, handing out
        their events."""
        while len(self.decodes) > keep:
            head = self.decodes[0].future
            try:
                await asyncio.wrap_future(head)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not head.cancelled() or (task is not None and task.cancelling()):
                    raise  # this stream was cancelled; else the transcriber closed under it (ready says so)
            except Exception:
                pass  # ready() reports it
            for event in self.ready():
                yield event

    def abandon(self) -> None:
        """The stream ended or was cancelled: decodes not started yet are dropped."""
        for decode in self.decodes:
            decode.future.cancel()
        self.decodes.clear()

    def _final(self, segment: Segment) -> None:
        future = self.t._submit(segment, self.request, final=True)
        assert future is not None
        self.decodes.append(_Decode(segment, True, future))

    def _maybe_partial(self) -> None:
        """Re-decode the segment in progress if ``interim_every_s`` of new audio and of time have passed
        since its last partial, and no partial of this stream is still running. Audio that arrives faster
        than it is spoken (a file) gets few partials: nobody is watching them."""
        open_id = self.segmenter.open_id
        partial = self.partial
        if open_id is None or (partial is not None and not partial.future.done()):
            return
        if time.monotonic() - self.partial_at < self.interim_every:
            return
        since = partial.segment.end if partial is not None and partial.segment.id == open_id else None
        if since is None:
            since = self.segmenter.open_start or 0.0
        if self.segmenter.heard_s - since < self.interim_every:
            return
        segment = self.segmenter.open_segment()
        assert segment is not None
        future = self.t._submit(segment, self.request, final=False)
        if future is not None:
            self.partial, self.partial_at = _Decode(segment, False, future), time.monotonic()
            self.decodes.append(self.partial)

    def _events(self, decode: _Decode) -> list[TranscriptEvent]:
        segment = decode.segment
        if decode.future.cancelled():
            raise TranscriptionError("the faster_whisper transcriber was closed while this stream ran")
        try:
            result = decode.future.result()
        except Exception as exc:
            raise TranscriptionError(f"faster-whisper failed on the speech at {segment.start:.2f} s: {exc}") from exc
        if not decode.final:
            if segment.id != self.segmenter.open_id or not result.text:
                return []  # the segment has ended: its final is on its way
            return [TranscriptEvent(kind="interim", text=result.text, start=segment.start, end=segment.end)]
        log.debug("segment %d (%.2f-%.2f s): %r", segment.id, segment.start, segment.end, result.text)
        final = TranscriptEvent(kind="final", text=result.text, start=segment.start, end=segment.end,
                                confidence=result.confidence)
        utterance_end = TranscriptEvent(kind="utterance_end", start=segment.start, end=segment.end)
        return [final, utterance_end] if result.text else [utterance_end]


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data

