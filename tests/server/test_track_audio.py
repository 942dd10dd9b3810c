"""The microphone track as 16 kHz PCM: every 20 ms frame comes out whole as it arrives."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from interview_engine_server.media.track_audio import TrackPcm

pytestmark = pytest.mark.anyio


class QueuedTrack(MediaStreamTrack):
    """Hands out the frames put on it; ``None`` ends it."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.frames: asyncio.Queue[AudioFrame | None] = asyncio.Queue()

    async def recv(self) -> AudioFrame:
        frame = await self.frames.get()
        if frame is None:
            raise MediaStreamError
        return frame


def opus_like_frame(n: int, value: int) -> AudioFrame:
    """Frame ``n`` as aiortc's Opus decoder gives it: 20 ms of 48 kHz stereo s16."""
    frame = AudioFrame.from_ndarray(np.full((1, 1920), value, "<i2"), format="s16", layout="stereo")
    frame.sample_rate, frame.pts, frame.time_base = 48_000, n * 960, Fraction(1, 48_000)
    return frame


async def test_each_frame_comes_out_whole_as_it_arrives_not_with_the_next_one() -> None:
    """The resampler keeps its filter's delay (16 samples) back from the first frame; without padding it,
    the end of every frame's audio reached the transcriber only with the next frame, 20 ms later."""
    track = QueuedTrack()
    pcm = TrackPcm(track, idle_s=5)
    pcm.start()
    answer = pcm.answer()
    received = 0
    try:
        for n in range(5):
            await track.frames.put(opus_like_frame(n, 3000))
            async with asyncio.timeout(5):
                received += len(await anext(answer)) // 2
            assert received == 320 * (n + 1)
    finally:
        await answer.aclose()
        await pcm.aclose()


async def test_the_padding_is_silence_before_the_audio() -> None:
    track = QueuedTrack()
    pcm = TrackPcm(track, idle_s=5)
    pcm.start()
    answer = pcm.answer()
    try:
        for n in range(3):
            await track.frames.put(opus_like_frame(n, 3000))
        chunks = b""
        async with asyncio.timeout(5):
            while len(chunks) < 3 * 640:
                chunks += await anext(answer)
        samples = np.frombuffer(chunks, "<i2")
        assert samples[0] == 0 and abs(int(samples[-1]) - 3000) < 30  # a constant stays constant after the delay
    finally:
        await answer.aclose()
        await pcm.aclose()
