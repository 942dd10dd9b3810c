"""The candidate's microphone track as 16 kHz mono PCM16, cut into answers.

A reader task receives the WebRTC audio frames, resamples them (libswresample, through PyAV) and queues
the PCM; ``answer()`` yields it until the candidate says they are done or the track ends. A track that
stops delivering audio for ``idle_s`` after its first frame has ended too (a browser that stops the
microphone just stops sending). The queue is bounded: if nothing consumes it, the oldest audio is dropped
and counted, never piled up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from typing import Literal

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame
from av.audio.resampler import AudioResampler

log = logging.getLogger(__name__)

MAX_QUEUED_S = 10.0
Mark = Literal["done", "ended"]
_DONE: Mark = "done"
_ENDED: Mark = "ended"


class TrackPcm:
    """16 kHz mono s16le from one audio track; ``start`` the reader, ``aclose`` to stop it."""

    def __init__(self, track: MediaStreamTrack, *, idle_s: float, max_queued_s: float = MAX_QUEUED_S) -> None:
        self.track = track
        self.idle_s = idle_s
        self.ended = False
        """The track ended (the peer left or stopped the microphone)."""
        self.dropped_s = 0.0
        self.last_mark: Mark | None = None
        self._resampler = AudioResampler(format="s16", layout="mono", rate=16_000)
        self._queue: asyncio.Queue[bytes | Mark] = asyncio.Queue()
        self._queued_s = 0.0
        self._max_queued_s = max_queued_s
        self._reader: asyncio.Task[None] | None = None
        self._started = False

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read(), name="live-audio-reader")

    def done(self) -> None:
        """The candidate finished the answer: the current ``answer()`` ends after the audio queued so far."""
        if not self.ended:
            self._queue.put_nowait(_DONE)

    async def answer(self) -> AsyncGenerator[bytes]:
        """The PCM of one answer; ends at ``done`` or at the end of the track (see ``last_mark``). Audio
        that queued up while the consumer was busy comes as one chunk (fewer, larger steps under load)."""
        while True:
            if self.ended and self._queue.empty():
                self.last_mark = _ENDED
                return
            item = await self._queue.get()
            chunks: list[bytes] = []
            while isinstance(item, bytes):
                chunks.append(item)
                if self._queue.empty():
                    break
                item = self._queue.get_nowait()
            if chunks:
                pcm = b"".join(chunks)
                self._queued_s -= len(pcm) / 32_000
                yield pcm
            if not isinstance(item, bytes):
                self.last_mark = item
                return

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        self.track.stop()
        self._end()

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._take(await self.track.recv())  # no deadline before the first frame: ICE has its own
            last = loop.time()
            while True:  # one timer per idle window, not one per 20 ms frame: it moves on when frames came
                try:
                    async with asyncio.timeout_at(last + self.idle_s):
                        while True:
                            self._take(await self.track.recv())
                            last = loop.time()
                except TimeoutError:
                    if loop.time() - last >= self.idle_s:
                        raise
        except MediaStreamError:
            log.debug("the audio track ended")
        except TimeoutError:
            log.info("no audio for %.1f s: the microphone track is over", self.idle_s)
        finally:
            self._end()

    def _take(self, frame: object) -> None:
        if isinstance(frame, AudioFrame):
            resampled = self._resampler.resample(frame)
            pcm = b"".join(bytes(memoryview(f.planes[0])[: f.samples * 2]) for f in resampled)
            if not self._started:
                self._started = True
                pcm = self._pad_filter_delay(frame, pcm)
            self._put(pcm)

    @staticmethod
    def _pad_filter_delay(first: AudioFrame, pcm: bytes) -> bytes:
        """The resampler keeps its filter's delay (16 samples from 48 kHz) back from the first frame, so the
        end of every later frame would come out only with the next one, 20 ms later; silence in its place
        lets each frame out whole as it arrives."""
        whole = first.samples * 16_000 // first.sample_rate * 2
        return bytes(max(0, whole - len(pcm))) + pcm

    def _put(self, pcm: bytes) -> None:
        if not pcm:
            return
        self._queue.put_nowait(pcm)
        self._queued_s += len(pcm) / 32_000
        while self._queued_s > self._max_queued_s:
            old = self._queue.get_nowait()
            if isinstance(old, bytes):
                self._queued_s -= len(old) / 32_000
                self.dropped_s += len(old) / 32_000

    def _end(self) -> None:
        if not self.ended:
            self.ended = True
            self._queue.put_nowait(_ENDED)
