"""PocketsphinxTranscriber: offline English streaming speech-to-text on the model in the pocketsphinx wheel.

Decoding runs in decoder processes of this transcriber's own (``workers``, see ``worker``), never in the
caller's process: PocketSphinx holds the GIL while it decodes, so in-process threads would stall the
event loop and share one core. Each stream is pinned to one process, which keeps its decoder; audio goes
there as it arrives and events come back as the decoder finds them (interim hypotheses while speaking, a
final per utterance that PocketSphinx's voice-activity endpointer cuts).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator

from interview_engine.plugin_api import (
    Transcript,
    TranscriptEvent,
    TranscriptionError,
    TranscriptionOptions,
    TranscriptSegment,
    aligned_pcm16,
)

from .decoding import DecoderConfig, Event
from .processes import DecoderProcess, DecoderProcesses, Message


class PocketsphinxTranscriber:
    """Offline English transcriber. Options (from settings ``transcriber_options``):

    - ``pronunciations``: extra ``{"word": "ARPABET PHONES"}`` for vocabulary terms;
    - ``vocabulary_weight``: how strongly vocabulary words are favoured in the language model (100);
    - ``vad_mode``: 0 (loose) to 3 (strict) voice-activity detection; ``vad_window_s``: silence that
      ends an utterance (0.5 s);
    - ``interim_every_s``: seconds of speech between interim hypotheses (0.3);
    - ``workers``: decoder processes (default: CPU count), started on the first stream.
    """

    def __init__(
        self,
        *,
        pronunciations: dict[str, str] | None = None,
        vocabulary_weight: float = 100.0,
        vad_mode: int = 2,
        vad_window_s: float = 0.5,
        interim_every_s: float = 0.3,
        workers: int | None = None,
    ) -> None:
        import pocketsphinx  # noqa: F401  (installed? the decoder processes import it)

        config = DecoderConfig(pronunciations={k.lower(): v for k, v in (pronunciations or {}).items()},
                               vocabulary_weight=vocabulary_weight, vad_mode=vad_mode, vad_window_s=vad_window_s,
                               interim_every_s=interim_every_s)
        self._processes = DecoderProcesses(workers or os.cpu_count() or 1, config)
        self._closed = False

    async def stream(
        self, audio: AsyncIterable[bytes], options: TranscriptionOptions
    ) -> AsyncIterator[TranscriptEvent]:
        """Transcribe live audio: interim hypotheses while speaking, a final per utterance."""
        self._check(options)
        process = await self._processes.pick()
        sid, replies = process.open(list(options.vocabulary))
        feeder = asyncio.create_task(_feed(process, sid, audio, options.interim_results), name="pocketsphinx-feed")
        feeder.add_done_callback(lambda task: _report(task, sid, replies))
        finished = False
        try:
            while not finished:
                kind, _, payload = await replies.get()
                if kind == "failed":
                    raise TranscriptionError(f"pocketsphinx failed: {payload}")
                if kind == "feed_failed":
                    raise payload
                finished = kind == "finished"
                for event in payload:
                    yield _event(event)
        finally:
            process.forget(sid, drop=not finished)
            feeder.cancel()

    async def transcribe(self, audio: bytes, options: TranscriptionOptions) -> Transcript:
        """Transcribe a whole recording of 16 kHz mono s16le."""
        quiet = options.model_copy(update={"interim_results": False})
        finals = [e async for e in self.stream(_once(audio), quiet) if e.kind == "final"]
        segments = [TranscriptSegment(text=e.text, start=e.start, end=e.end) for e in finals]
        return Transcript(text=" ".join(s.text for s in segments), segments=segments)

    async def aclose(self) -> None:
        """Stop the decoder processes."""
        self._closed = True
        await self._processes.aclose()

    def _check(self, options: TranscriptionOptions) -> None:
        if self._closed:
            raise TranscriptionError("the pocketsphinx transcriber is closed")
        if options.language != "en":
            raise TranscriptionError(
                f"pocketsphinx recognises English only; for language {options.language!r} set "
                f"transcriber = \"deepgram\" (pip install interview-engine-deepgram)"
            )


async def _feed(process: DecoderProcess, sid: int, audio: AsyncIterable[bytes], interim: bool) -> None:
    """Send the stream's audio to its process as it arrives, then ask for the last words."""
    async for chunk in aligned_pcm16(audio):
        if not process.alive:
            return  # the stream's queue has the failure
        process.send(("feed", sid, chunk, interim))
        await process.drain()
    if process.alive:
        process.send(("finish", sid))


def _report(task: asyncio.Task[None], sid: int, replies: asyncio.Queue[Message]) -> None:
    """A feeder that failed (bad audio, the caller's stream broke) fails the stream with its error."""
    if not task.cancelled() and (error := task.exception()) is not None:
        replies.put_nowait(("feed_failed", sid, error))


def _event(event: Event) -> TranscriptEvent:
    kind, text, start, end = event
    return TranscriptEvent(kind=kind, text=text, start=start, end=end)  # type: ignore[arg-type]


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


