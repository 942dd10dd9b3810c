"""PocketsphinxTranscriber: offline English streaming speech-to-text on the model in the pocketsphinx wheel.

Each stream gets its own decoder (reused from a small pool when the vocabulary matches) and runs in this
transcriber's own worker threads, never on the event loop. PocketSphinx's voice-activity endpointer cuts
the audio into utterances: partial hypotheses become interim events, each utterance's result a final.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from interview_engine.plugin_api import (
    Transcript,
    TranscriptEvent,
    TranscriptionError,
    TranscriptionOptions,
    TranscriptSegment,
    aligned_pcm16,
)

from .lexicon import pronounce, words_of

log = logging.getLogger(__name__)

T = TypeVar("T")
VocabularyKey = tuple[str, ...]
_POOL_PER_VOCABULARY = 4
FRAME_S = 0.01
"""PocketSphinx's feature frame: word times in ``seg()`` count these."""


class _Utterances:
    """Streaming decode of one audio stream (runs in a worker thread, one call at a time)."""

    def __init__(self, decoder: Any, endpointer: Any, display: dict[str, str], interim_every_s: float
                 ) -> None:
        self.decoder = decoder
        self.ep = endpointer
        self.display = display
        self.interim_every = interim_every_s
        self.rest = b""
        self.in_utt = False
        self.since_interim = 0.0
        self.last_interim = ""

    def feed(self, pcm: bytes, interim: bool) -> list[TranscriptEvent]:
        data = self.rest + pcm
        size = self.ep.frame_bytes
        cut = len(data) - len(data) % size
        self.rest = data[cut:]
        events: list[TranscriptEvent] = []
        for at in range(0, cut, size):
            self._frame(self.ep.process(data[at:at + size]), events, interim)
        return events

    def finish(self) -> list[TranscriptEvent]:
        events: list[TranscriptEvent] = []
        speech = None
        if self.rest or self.in_utt or self.ep.in_speech:
            # end_stream reads its buffer's first byte even when it is empty (IndexError), so a stream
            # that ends on a frame boundary hands over its empty tail as one silent sample
            speech = self.ep.end_stream(self.rest or bytes(2))
        self.rest = b""
        if speech is not None:
            self._speech(speech)
        if self.in_utt:
            self._close(events, self.ep.speech_end)
        return events

    def _frame(self, speech: bytes | None, events: list[TranscriptEvent], interim: bool) -> None:
        if speech is None:
            return
        self._speech(speech)
        if not self.ep.in_speech:
            self._close(events, self.ep.speech_end)
        elif interim:
            self.since_interim += len(speech) / 32000
            if self.since_interim >= self.interim_every:
                self.since_interim = 0.0
                text = self._text()
                if text and text != self.last_interim:
                    self.last_interim = text
                    start = self.ep.speech_start
                    end = start + self.decoder.n_frames() * FRAME_S
                    events.append(TranscriptEvent(kind="interim", text=text, start=start, end=end))

    def _speech(self, speech: bytes) -> None:
        if not self.in_utt:
            self.decoder.start_utt()
            self.in_utt = True
        self.decoder.process_raw(speech)

    def _close(self, events: list[TranscriptEvent], end: float) -> None:
        self.decoder.end_utt()
        self.in_utt = False
        self.since_interim, self.last_interim = 0.0, ""
        text = self._text()
        start = self.ep.speech_start
        if text:
            events.append(TranscriptEvent(kind="final", text=text, start=start, end=max(end, start)))
        events.append(TranscriptEvent(kind="utterance_end", start=start, end=max(end, start)))

    def _text(self) -> str:
        hyp = self.decoder.hyp()
        if hyp is None:
            return ""
        return " ".join(self.display.get(w, w) for w in hyp.hypstr.split())


class PocketsphinxTranscriber:
    """Offline English transcriber. Options (from settings ``transcriber_options``):

    - ``pronunciations``: extra ``{"word": "ARPABET PHONES"}`` for vocabulary terms;
    - ``vocabulary_weight``: how strongly vocabulary words are favoured in the language model (100);
    - ``vad_mode``: 0 (loose) to 3 (strict) voice-activity detection; ``vad_window_s``: silence that
      ends an utterance (0.5 s);
    - ``interim_every_s``: seconds of speech between interim hypotheses (0.3);
    - ``workers``: decoding threads (default: CPU count).
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
        import pocketsphinx

        self._ps = pocketsphinx
        self.pronunciations = {k.lower(): v for k, v in (pronunciations or {}).items()}
        self.vocabulary_weight = vocabulary_weight
        self.vad_mode = vad_mode
        self.vad_window_s = vad_window_s
        self.interim_every_s = interim_every_s
        self._executor = ThreadPoolExecutor(workers or os.cpu_count() or 1, thread_name_prefix="pocketsphinx")
        self._pool: dict[VocabularyKey, list[Any]] = {}
        self._closed = False

    async def stream(
        self, audio: AsyncIterable[bytes], options: TranscriptionOptions
    ) -> AsyncIterator[TranscriptEvent]:
        """Transcribe live audio: interim hypotheses while speaking, a final per utterance."""
        key = self._check(options)
        idle = self._pool.get(key)
        decoder = idle.pop() if idle else await self._run(self._new_decoder, key)
        utts = await self._run(self._utterances, decoder, options.vocabulary)
        async for chunk in aligned_pcm16(audio):
            for event in await self._run(utts.feed, chunk, options.interim_results):
                yield event
        for event in await self._run(utts.finish):
            yield event
        self._give_back(key, decoder)

    async def transcribe(self, audio: bytes, options: TranscriptionOptions) -> Transcript:
        """Transcribe a whole recording of 16 kHz mono s16le."""
        quiet = options.model_copy(update={"interim_results": False})
        finals = [e async for e in self.stream(_once(audio), quiet) if e.kind == "final"]
        segments = [TranscriptSegment(text=e.text, start=e.start, end=e.end) for e in finals]
        return Transcript(text=" ".join(s.text for s in segments), segments=segments)

    async def aclose(self) -> None:
        """Stop the worker threads and free the pooled decoders."""
        self._closed = True
        self._pool.clear()
        loop = asyncio.get_running_loop()
        stopped = loop.create_future()

        def stop() -> None:  # waits for in-flight chunks without blocking the event loop
            self._executor.shutdown(wait=True, cancel_futures=True)
            loop.call_soon_threadsafe(stopped.set_result, None)

        closer = threading.Thread(target=stop, name="pocketsphinx-close")
        closer.start()
        await stopped
        closer.join()

    def _check(self, options: TranscriptionOptions) -> VocabularyKey:
        if self._closed:
            raise TranscriptionError("the pocketsphinx transcriber is closed")
        if options.language != "en":
            raise TranscriptionError(
                f"pocketsphinx recognises English only; for language {options.language!r} set "
                f"transcriber = \"deepgram\" (pip install interview-engine-deepgram)"
            )
        return tuple(sorted({w for term in options.vocabulary for w in words_of(term)}))

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _new_decoder(self, key: VocabularyKey) -> Any:
        decoder = self._ps.Decoder(samprate=16000, loglevel="FATAL")
        lm = decoder.get_lm()
        for word in key:
            if decoder.lookup_word(word) is not None:
                continue  # already in the dictionary and the language model
            phones = pronounce(word, decoder.lookup_word, self.pronunciations)
            if phones is None:
                log.warning("no pronunciation for vocabulary word %r; it will not be favoured", word)
                continue
            lm.add_word(word, self.vocabulary_weight)
            decoder.add_word(word, phones, True)
        log.debug("pocketsphinx decoder ready with %d vocabulary words", len(key))
        return decoder

    def _utterances(self, decoder: Any, vocabulary: list[str]) -> _Utterances:
        endpointer = self._ps.Endpointer(window=self.vad_window_s, vad_mode=self.vad_mode, sample_rate=16000)
        display = {term.lower(): term for term in vocabulary if len(words_of(term)) == 1}
        return _Utterances(decoder, endpointer, display, self.interim_every_s)

    def _give_back(self, key: VocabularyKey, decoder: Any) -> None:
        idle = self._pool.setdefault(key, [])
        if len(idle) < _POOL_PER_VOCABULARY and not self._closed:
            idle.append(decoder)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
