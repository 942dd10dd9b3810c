"""SpeechSegmenter: cuts a 16 kHz stream into the speech segments Whisper decodes, one at a time.

The core's :class:`~interview_engine.media.endpoint.Endpointer` finds speech and the pause that ends it;
after each pause a fresh one listens for the next utterance. A segment carries its audio from a short
pre-roll before the speech to the cut, so a word the endpointer noticed late is still heard. Speech that
runs on past ``max_segment_s`` is cut at its quietest 20 ms frame, keeping every segment inside one
Whisper window. While nobody speaks only the pre-roll is kept, so memory stays bounded on any recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interview_engine.plugin_api import FRAME_S, EndpointConfig, Endpointer, InvalidAudio

RATE = 16_000
FRAME = round(RATE * FRAME_S)
"""Samples per endpointer frame."""
CUT_SEARCH_S = 1.0
"""A forced cut falls on the quietest frame of the segment's last second."""


@dataclass(frozen=True)
class Segment:
    """One utterance: speech from ``start`` to ``end`` (seconds from the start of the stream), and the
    audio to decode, which begins at ``offset``."""

    id: int
    start: float
    end: float
    offset: float
    audio: bytes

    @property
    def duration(self) -> float:
        """Seconds of audio carried."""
        return len(self.audio) / (2 * RATE)


class SpeechSegmenter:
    """Feed 16 kHz mono s16le in chunks of whole samples; get each segment once it has ended."""

    def __init__(self, endpoint: EndpointConfig, max_segment_s: float, preroll_s: float = 0.5) -> None:
        if max_segment_s <= CUT_SEARCH_S:
            raise ValueError(f"max_segment_s must exceed {CUT_SEARCH_S} s")
        self.endpoint = endpoint
        self.max_samples = round(max_segment_s * RATE)
        self.keep_idle = round((preroll_s + endpoint.min_speech_s) * RATE)
        self.preroll = round(preroll_s * RATE)
        self._audio = bytearray()
        self._audio_at = 0
        """Stream sample index of ``_audio[0]``."""
        self._fed = 0
        """Samples handed to the endpointer (whole frames)."""
        self._endpointer = Endpointer(endpoint)
        self._endpointer_at = 0
        self._speech_at: int | None = None
        """Speech start of the open segment (samples), None when no segment is open."""
        self._window_at = 0
        """Where the open segment's audio begins (samples)."""
        self._next_id = 0

    @property
    def buffered_s(self) -> float:
        """Seconds of audio held."""
        return len(self._audio) / (2 * RATE)

    @property
    def heard_s(self) -> float:
        """Seconds of audio listened to so far."""
        return self._fed / RATE

    @property
    def open_id(self) -> int | None:
        """The id of the segment in progress, None between utterances."""
        return None if self._speech_at is None else self._next_id

    @property
    def open_start(self) -> float | None:
        """When the speech of the segment in progress began."""
        return None if self._speech_at is None else self._speech_at / RATE

    def feed(self, pcm16k: bytes) -> list[Segment]:
        """Take audio; returns the segments it ended."""
        if len(pcm16k) % 2:
            raise InvalidAudio("the segmenter needs whole 16-bit samples")
        self._audio += pcm16k
        ended: list[Segment] = []
        end = self._audio_at + len(self._audio) // 2
        while self._fed + FRAME <= end:
            at = 2 * (self._fed - self._audio_at)
            events = self._endpointer.feed(bytes(self._audio[at:at + 2 * FRAME]))
            self._fed += FRAME
            for event in events:
                event_at = self._endpointer_at + round(event.t * RATE)
                if event.kind == "speech_started":
                    self._speech_at = event_at
                    self._window_at = max(self._audio_at, event_at - self.preroll)
                else:
                    ended.append(self._close(event_at, self._fed))
                    self._endpointer, self._endpointer_at = Endpointer(self.endpoint), self._fed
            if self._speech_at is not None and self._fed - self._window_at >= self.max_samples:
                ended.append(self._force_cut())
        if self._speech_at is None:
            self._drop_before(self._fed - self.keep_idle)
        return ended

    def open_segment(self) -> Segment | None:
        """The segment in progress, as heard so far (for a partial), or None between utterances."""
        if self._speech_at is None:
            return None
        return self._segment(self._speech_at, self._fed, self._fed)

    def finish(self) -> list[Segment]:
        """End of stream: the open segment, ending with the last audio."""
        if self._speech_at is None:
            return []
        speech_end = self._endpointer_at + round(self._endpointer.last_speech_end * RATE)
        return [self._close(max(speech_end, self._speech_at), self._audio_at + len(self._audio) // 2)]

    def _close(self, speech_end: int, cut: int) -> Segment:
        assert self._speech_at is not None
        segment = self._segment(self._speech_at, speech_end, cut)
        self._next_id += 1
        self._speech_at = None
        self._drop_before(cut)
        return segment

    def _force_cut(self) -> Segment:
        """Close the open segment at the quietest frame of its last second; speech goes on in a new one."""
        search = round(CUT_SEARCH_S * RATE) // FRAME * FRAME
        at = 2 * (self._fed - search - self._audio_at)
        frames = np.frombuffer(bytes(self._audio[at:at + 2 * search]), "<i2").astype(np.float32)
        energy = (frames.reshape(-1, FRAME) ** 2).mean(axis=1)
        cut = self._fed - search + FRAME * int(np.argmin(energy))
        segment = self._close(cut, cut)
        self._speech_at = self._window_at = cut
        return segment

    def _segment(self, speech_at: int, speech_end: int, cut: int) -> Segment:
        audio = bytes(self._audio[2 * (self._window_at - self._audio_at):2 * (cut - self._audio_at)])
        return Segment(self._next_id, speech_at / RATE, speech_end / RATE, self._window_at / RATE, audio)

    def _drop_before(self, sample: int) -> None:
        if sample > self._audio_at:
            del self._audio[:2 * (sample - self._audio_at)]
            self._audio_at = sample
