"""Streaming decode of one audio stream with a PocketSphinx decoder, as it runs inside a decoder process
(see ``worker``): PocketSphinx's voice-activity endpointer cuts the audio into utterances, partial
hypotheses become interim events, each utterance's result a final.

Events are plain tuples ``(kind, text, start, end)`` so that the decoder process imports nothing but
PocketSphinx and this package.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from .lexicon import pronounce, words_of

log = logging.getLogger(__name__)

FRAME_S = 0.01
"""PocketSphinx's feature frame: word times in ``seg()`` count these."""

Event = tuple[str, str, float, float]
"""(kind, text, start, end): kind is "interim", "final" or "utterance_end"."""
VocabularyKey = tuple[str, ...]


@dataclass(frozen=True)
class DecoderConfig:
    """How decoders and their voice-activity endpointers are built (the transcriber's options)."""

    pronunciations: dict[str, str]
    vocabulary_weight: float
    vad_mode: int
    vad_window_s: float
    interim_every_s: float


def vocabulary_key(vocabulary: list[str]) -> VocabularyKey:
    """The words a decoder must know for ``vocabulary`` (decoders are pooled by this key)."""
    return tuple(sorted({w for term in vocabulary for w in words_of(term)}))


def new_decoder(ps: Any, key: VocabularyKey, config: DecoderConfig) -> Any:
    """A decoder on the model in the pocketsphinx wheel that favours the words of ``key``."""
    decoder = ps.Decoder(samprate=16000, loglevel="FATAL")
    lm = decoder.get_lm()
    for word in key:
        if decoder.lookup_word(word) is not None:
            continue  # already in the dictionary and the language model
        phones = pronounce(word, decoder.lookup_word, config.pronunciations)
        if phones is None:
            log.warning("no pronunciation for vocabulary word %r; it will not be favoured", word)
            continue
        lm.add_word(word, config.vocabulary_weight)
        decoder.add_word(word, phones, True)
    log.debug("pocketsphinx decoder ready with %d vocabulary words", len(key))
    return decoder


class Utterances:
    """Streaming decode of one audio stream (one call at a time)."""

    def __init__(self, decoder: Any, endpointer: Any, display: dict[str, str], interim_every_s: float) -> None:
        self.decoder = decoder
        self.ep = endpointer
        self.display = display
        self.interim_every = interim_every_s
        self.rest = b""
        self.in_utt = False
        self.since_interim = 0.0
        self.last_interim = ""

    @classmethod
    def open(cls, ps: Any, decoder: Any, vocabulary: list[str], config: DecoderConfig) -> Utterances:
        endpointer = ps.Endpointer(window=config.vad_window_s, vad_mode=config.vad_mode, sample_rate=16000)
        display = {term.lower(): term for term in vocabulary if len(words_of(term)) == 1}
        return cls(decoder, endpointer, display, config.interim_every_s)

    def feed(self, pcm: bytes, interim: bool) -> list[Event]:
        data = self.rest + pcm
        size = self.ep.frame_bytes
        cut = len(data) - len(data) % size
        self.rest = data[cut:]
        events: list[Event] = []
        for at in range(0, cut, size):
            self._frame(self.ep.process(data[at:at + size]), events, interim)
        return events

    def finish(self) -> list[Event]:
        events: list[Event] = []
        speech = None
        if self.rest or self.in_utt or self.ep.in_speech:
            # end_stream reads its buffer's first byte even when it is empty (IndexError), so a stream
            # that ends on a frame boundary hands over its empty tail as one silent sample
            speech = self.ep.end_stream(self.rest or bytes(2))
        self.rest = b""
        if speech:  # it may also hand back no samples, which process_raw refuses (IndexError)
            self._speech(speech)
        if self.in_utt:
            self._close(events, self.ep.speech_end)
        return events

    def abandon(self) -> None:
        """The stream was dropped mid-way: end any utterance so the decoder can serve another stream."""
        if self.in_utt:
            self.decoder.end_utt()
            self.in_utt = False

    def _frame(self, speech: bytes | None, events: list[Event], interim: bool) -> None:
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
                    events.append(("interim", text, start, start + self.decoder.n_frames() * FRAME_S))

    def _speech(self, speech: bytes) -> None:
        if not self.in_utt:
            self.decoder.start_utt()
            self.in_utt = True
        self.decoder.process_raw(speech)

    def _close(self, events: list[Event], end: float) -> None:
        self.decoder.end_utt()
        self.in_utt = False
        self.since_interim, self.last_interim = 0.0, ""
        text = self._text()
        start = self.ep.speech_start
        if text:
            events.append(("final", text, start, max(end, start)))
        events.append(("utterance_end", "", start, max(end, start)))

    def _text(self) -> str:
        hyp = self.decoder.hyp()
        if hyp is None:
            return ""
        return " ".join(self.display.get(w, w) for w in hyp.hypstr.split())
