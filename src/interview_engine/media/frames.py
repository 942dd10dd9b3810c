"""Frame sampling for emotion analysis and proctoring signals.

A host pushes timestamped video frames in; the sampler keeps one every ``interval_s`` seconds, converts
and downscales it on a worker thread, has the session's EmotionAnalyzer read it, and stores the result
as an EmotionSample through ``Session.record_emotions``. Samples with no face or several faces become
proctoring signals in the report (``report.summarize_emotions``): moments for a human, never a verdict.

    async with FrameSampler(session, analyzer) as sampler:
        async for frame in video_track:                     # e.g. frames from WebRTC
            sampler.offer(TimedFrame(frame.to_ndarray(format="yuv420p"), t, "yuv420p"))

``offer`` never blocks: when analysis falls behind, due frames are dropped and counted, not queued.
Leaving the block normally lets queued frames finish; leaving with an error or a cancellation stops
the workers at once. Either way no task is left behind. Close the sampler before finishing the
session, so every sample is in the report.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import anyio
import numpy as np
import numpy.typing as npt
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import IllegalTransition, InvalidFrame
from ..models import EmotionSample
from ..providers import EmotionAnalyzer, Frame
from ..session import Session
from .frames_convert import PixelFormat, check_image, downscale, to_rgb
from .frames_faces import scale_reading

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 2.0
DEFAULT_MAX_SIDE = 1280


@dataclass(frozen=True, slots=True)
class TimedFrame:
    """A video frame and its capture time in seconds since the interview started.

    The sampler keeps a reference to ``image``: do not write into it after offering it.
    """

    image: npt.NDArray[np.uint8]
    t: float
    format: PixelFormat = "rgb"


@dataclass
class SamplerStats:
    """What a sampler did with the frames it was offered."""

    frames: int = 0
    """Frames offered."""
    sampled: int = 0
    """Frames due for a sample and queued for analysis."""
    dropped: int = 0
    """Frames due for a sample but dropped because analysis had fallen behind."""
    analysed: int = 0
    """Samples stored."""
    failed: int = 0
    """Sampled frames the analyzer failed on (logged), or that timed out."""


@dataclass(frozen=True, slots=True)
class _Job:
    frame: TimedFrame
    question_id: str | None


def prepare(image: npt.NDArray[np.uint8], fmt: PixelFormat, max_side: int) -> tuple[Frame, int]:
    """Convert to RGB and downscale to ``max_side``; returns the frame and the downscale factor."""
    return downscale(to_rgb(image, fmt), max_side)


class FrameSampler:
    """Samples a session's video for emotion analysis; use as ``async with``.

    ``workers`` frames are analysed at once and ``queue_size`` more may wait; a frame due while all of
    them are taken is dropped. Frames larger than ``max_side`` pixels on their longer side are
    downscaled before analysis; face boxes are given in pixels of the frame as offered.
    """

    def __init__(
        self,
        session: Session,
        analyzer: EmotionAnalyzer,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        workers: int = 1,
        queue_size: int = 1,
        max_side: int = DEFAULT_MAX_SIDE,
        analysis_timeout_s: float = 30.0,
    ) -> None:
        if not session.spec.emotion_analysis:
            raise IllegalTransition("emotion analysis is not enabled for this interview")
        if interval_s <= 0 or workers < 1 or queue_size < 0 or max_side < 1 or analysis_timeout_s <= 0:
            raise ValueError("interval_s, workers, max_side and analysis_timeout_s must be positive, "
                             "queue_size not negative")
        self.session = session
        self.analyzer = analyzer
        self.interval_s = interval_s
        self.workers = workers
        self.queue_size = queue_size
        self.max_side = max_side
        self.analysis_timeout_s = analysis_timeout_s
        self.stats = SamplerStats()
        self._next_due = -math.inf
        self._send: MemoryObjectSendStream[_Job] | None = None
        self._task_group: TaskGroup | None = None

    async def __aenter__(self) -> Self:
        if self._task_group is not None:
            raise RuntimeError("the sampler is already running")
        send, receive = anyio.create_memory_object_stream[_Job](self.queue_size)
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        with receive:
            for _ in range(self.workers):
                task_group.start_soon(self._work, receive.clone())
        self._send, self._task_group = send, task_group
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._send is not None and self._task_group is not None
        send, task_group = self._send, self._task_group
        self._send = self._task_group = None
        send.close()
        try:
            if isinstance(exc, Exception):  # stop the workers; the host's error passes through unwrapped
                task_group.cancel_scope.cancel()
                await task_group.__aexit__(None, None, None)
                return None
            return await task_group.__aexit__(exc_type, exc, tb)
        finally:
            s = self.stats
            log.info("frame sampler for interview %s: %d frames, %d sampled, %d dropped, %d analysed, "
                     "%d failed", self.session.id, s.frames, s.sampled, s.dropped, s.analysed, s.failed)

    def offer(self, frame: TimedFrame) -> bool:
        """Take ``frame`` if a sample is due; True when it was queued for analysis. Never blocks; call it
        from the event loop's thread.

        Raises InvalidFrame for an image that does not match its pixel format or a negative time.
        """
        if self._send is None:
            raise RuntimeError("the sampler is not running; use `async with FrameSampler(...)`")
        check_image(frame.image, frame.format)
        if not (math.isfinite(frame.t) and frame.t >= 0):
            raise InvalidFrame(f"frame time must be seconds since the interview started, got {frame.t}")
        self.stats.frames += 1
        if frame.t < self._next_due:
            return False
        self._next_due = frame.t + self.interval_s
        current = self.session.current_question
        try:
            self._send.send_nowait(_Job(frame, current.id if current else None))
        except anyio.WouldBlock:
            self.stats.dropped += 1
            log.debug("analysis is behind; dropped the frame at %.2f s", frame.t)
            return False
        self.stats.sampled += 1
        return True

    async def consume(self, frames: AsyncIterable[TimedFrame]) -> None:
        """Offer every frame of ``frames`` until it ends."""
        async for frame in frames:
            self.offer(frame)

    async def _work(self, receive: MemoryObjectReceiveStream[_Job]) -> None:
        async with receive:
            async for job in receive:
                sample = await self._analyse(job)
                if sample is not None:
                    await self.session.record_emotions([sample])
                    self.stats.analysed += 1

    async def _analyse(self, job: _Job) -> EmotionSample | None:
        frame = job.frame
        try:
            with anyio.fail_after(self.analysis_timeout_s):
                rgb, factor = await anyio.to_thread.run_sync(prepare, frame.image, frame.format,
                                                             self.max_side)
                reading = await self.analyzer.analyze(rgb)
        except Exception:
            self.stats.failed += 1
            log.warning("emotion analysis failed on the frame at %.2f s", frame.t, exc_info=True)
            return None
        return EmotionSample.from_reading(scale_reading(reading, factor), interview_id=self.session.id,
                                          t=frame.t, question_id=job.question_id)
