"""Endpointing: finding where a spoken answer ends from the silence after it.

Energy-based with an adaptive noise floor: a 20 ms frame is speech when it is ``margin_db`` louder than
the quietest frame of the last few seconds (the noise floor) and louder than ``min_level_dbfs``. An
answer ends after ``silence_s`` of non-speech that follows at least ``min_speech_s`` of speech, so a
steady hum or a fan never counts as an answer, and a click does not start one.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import InvalidAudio
from .audio import TARGET_RATE

log = logging.getLogger(__name__)

FRAME_S = 0.02
_FRAME_SAMPLES = int(TARGET_RATE * FRAME_S)
_FULL_SCALE_ENERGY = _FRAME_SAMPLES * 32768.0**2
"""A frame's sum of squared samples at full scale: its mean square in [-1, 1] is the sum over this."""


@dataclass(frozen=True)
class EndpointConfig:
    """How long and how quiet a pause must be to end an answer."""

    silence_s: float = 1.5
    """Seconds of silence after speech that end the answer."""
    margin_db: float = 12.0
    """How far above the noise floor a frame must be to count as speech."""
    min_level_dbfs: float = -50.0
    """Frames quieter than this are silence whatever the noise floor."""
    min_speech_s: float = 0.2
    """Speech needed before silence can end an answer (clicks and coughs are shorter)."""
    floor_window_s: float = 5.0
    """The noise floor is the quietest frame in this window."""

    def __post_init__(self) -> None:
        positive = self.silence_s > 0 and self.floor_window_s >= FRAME_S
        if not positive or self.min_speech_s < 0 or self.margin_db < 0:
            raise ValueError(f"invalid endpoint settings: {self}")


@dataclass(frozen=True)
class EndpointEvent:
    """Speech began, or the answer ended; ``t`` is seconds from the start of the audio."""

    kind: Literal["speech_started", "answer_ended"]
    t: float


class Endpointer:
    """Feed 16 kHz mono s16le in chunks of any size; get speech-start and answer-end events."""

    def __init__(self, config: EndpointConfig = EndpointConfig()) -> None:
        self.config = config
        self._rest = np.zeros(0, dtype="<i2")
        self._frames = 0
        self._floor: deque[tuple[int, float]] = deque()
        self._speech_frames = 0
        self._silent_frames = 0
        self.started: float | None = None
        self.ended: float | None = None
        self.last_speech_end = 0.0

    @property
    def noise_floor_dbfs(self) -> float | None:
        return self._floor[0][1] if self._floor else None

    def feed(self, pcm16k: bytes) -> list[EndpointEvent]:
        """Process audio; returns the events it completes (at most one of each kind per answer)."""
        if len(pcm16k) % 2:
            raise InvalidAudio("endpointer needs whole 16-bit samples")
        data = np.frombuffer(pcm16k, "<i2")  # called for every 20 ms of every live answer: few numpy calls
        if len(self._rest):
            data = np.concatenate([self._rest, data])
        n = len(data) // _FRAME_SAMPLES
        self._rest = data[n * _FRAME_SAMPLES:]
        if n == 0 or self.ended is not None:
            return []
        frames = data[: n * _FRAME_SAMPLES].reshape(n, _FRAME_SAMPLES).astype(np.float32)
        levels = 10 * np.log10(np.einsum("ij,ij->i", frames, frames) / _FULL_SCALE_ENERGY + 1e-10)
        events: list[EndpointEvent] = []
        for level in levels.tolist():
            event = self._frame(level)
            if event is not None:
                events.append(event)
                if event.kind == "answer_ended":
                    break
        return events

    def _frame(self, level: float) -> EndpointEvent | None:
        cfg = self.config
        i = self._frames
        self._frames += 1
        window = int(cfg.floor_window_s / FRAME_S)
        while self._floor and self._floor[-1][1] >= level:
            self._floor.pop()
        self._floor.append((i, level))
        while self._floor[0][0] <= i - window:
            self._floor.popleft()
        floor = self._floor[0][1]
        speech = level >= max(floor + cfg.margin_db, cfg.min_level_dbfs)
        if speech:
            self._speech_frames += 1
            self._silent_frames = 0
            self.last_speech_end = (i + 1) * FRAME_S
            if self.started is None and self._speech_frames * FRAME_S >= cfg.min_speech_s:
                self.started = (i + 1) * FRAME_S - self._speech_frames * FRAME_S
                return EndpointEvent("speech_started", self.started)
            return None
        self._silent_frames += 1
        if self.started is None and self._silent_frames * FRAME_S >= cfg.silence_s:
            self._speech_frames = 0
        if self.started is not None and self._silent_frames * FRAME_S >= cfg.silence_s:
            self.ended = self.last_speech_end
            log.debug("answer ended at %.2f s (floor %.1f dBFS)", self.ended, floor)
            return EndpointEvent("answer_ended", self.ended)
        return None
