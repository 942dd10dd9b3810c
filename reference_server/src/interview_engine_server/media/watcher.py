"""One connection's camera becomes consented signals: with the candidate's consent to emotion analysis
(and an interview that offers it), the SDK's FrameSampler analyses a frame every few seconds on a worker
thread and stores emotion samples, from which the report's proctoring section is built; each change to
"no face" or "several faces" is also published as a recruiter-only ``proctoring.signal`` event. Never a
score. Without consent the track is only drained: no frame is converted, analysed or stored; consent is
read again before every sample.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from interview_engine import EmotionAnalyzer, EmotionReading, Session
from interview_engine.media import FrameSampler, TimedFrame

from ..clock import utcnow

log = logging.getLogger(__name__)

Signal = Callable[[str | None, float], Awaitable[None]]
"""Called with the new proctoring state ("no_face", "multiple_faces" or None) and the frame's time."""


class ProctoringAnalyzer:
    """An EmotionAnalyzer that passes each reading through and reports changes of face count."""

    def __init__(self, analyzer: EmotionAnalyzer, signal: Signal) -> None:
        self.analyzer = analyzer
        self.signal = signal
        self.t = 0.0
        self._state: str | None = None

    async def analyze(self, frame: npt.NDArray[np.uint8]) -> EmotionReading:
        reading = await self.analyzer.analyze(frame)
        faces = len(reading.faces)
        state = "no_face" if faces == 0 else "multiple_faces" if faces > 1 else None
        if state != self._state:
            self._state = state
            try:
                await self.signal(state, self.t)
            except Exception:  # the sample is still stored; the report's proctoring section has it
                log.warning("could not publish a proctoring signal", exc_info=True)
        return reading


async def drain(track: MediaStreamTrack) -> None:
    """Receive and discard frames until the track ends (aiortc queues every decoded frame otherwise)."""
    try:
        while True:
            await track.recv()
    except MediaStreamError:
        return


async def watch(track: MediaStreamTrack, session: Session, analyzer: EmotionAnalyzer, *, interval_s: float,
                publish: Callable[[dict[str, Any]], Awaitable[None]],
                consented: Callable[[], Awaitable[bool]]) -> None:
    """Sample ``track`` for ``session`` until the track ends. ``consented`` is asked before each sample, so
    consent withdrawn during the connection stops the analysis at once."""

    async def signal(state: str | None, t: float) -> None:
        current = session.current_question
        await publish({"kind": state or "face_back", "t": t, "question_id": current.id if current else None})

    proctoring = ProctoringAnalyzer(analyzer, signal)
    started = session.interview.created_at
    next_due = -math.inf
    async with FrameSampler(session, proctoring, interval_s=interval_s) as sampler:
        try:
            while True:
                frame = await track.recv()
                t = max(0.0, (utcnow() - started).total_seconds())
                if t < next_due or not isinstance(frame, VideoFrame):
                    continue
                next_due = t + interval_s
                if not await consented():
                    continue
                proctoring.t = t
                image: npt.NDArray[np.uint8] = frame.to_ndarray(format="yuv420p")  # type: ignore[assignment]
                sampler.offer(TimedFrame(image, t, "yuv420p"))
        except MediaStreamError:
            log.debug("the video track of interview %s ended", session.id)
