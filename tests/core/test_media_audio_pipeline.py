"""The audio pipeline: PCM stream -> transcriber -> events and one AnswerEnded; back-pressure; bad audio."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterable, AsyncIterator

import anyio
import numpy as np
import pytest

from interview_engine.errors import InvalidAudio, TranscriptionError
from interview_engine.media.audio import PcmFormat
from interview_engine.media.audio_pipeline import AnswerEnded, AudioPipeline, DropBuffer, PipelineStats
from interview_engine.media.endpoint import EndpointConfig
from interview_engine.models import TranscriptEvent, TranscriptionOptions
from interview_engine.session import Session
from interview_engine.testing import FakeTranscriber

pytestmark = pytest.mark.anyio


def answer_audio(rate: int = 48000, channels: int = 2, speech_s: float = 1.0, silence_s: float = 3.0
                 ) -> bytes:
    """Quiet noise, a voiced stretch, then quiet noise; interleaved s16le in the given format."""
    rng = np.random.default_rng(3)
    t = np.arange(int(rate * speech_s)) / rate
    voiced = 0.3 * np.sin(2 * np.pi * 200 * t) * ((t % 0.2) < 0.15)
    quiet = rng.normal(0, 1e-3, rate // 2), rng.normal(0, 1e-3, int(rate * silence_s))
    mono = np.concatenate([quiet[0], voiced, quiet[1]])
    frames = np.repeat(mono[:, None], channels, axis=1).ravel()
    return (frames * 32767).astype("<i2").tobytes()


async def chunked(data: bytes, size: int = 1920, delay: float = 0.0) -> AsyncIterator[bytes]:
    for at in range(0, len(data), size):
        if delay:
            await anyio.sleep(delay)
        yield data[at:at + size]


Events = list[TranscriptEvent | AnswerEnded]
Audio = AsyncIterable[bytes]


async def collect(pipeline: AudioPipeline, source: Audio) -> Events:
    with anyio.fail_after(30):
        async with pipeline.listen(source) as events:
            return [e async for e in events]


async def test_answer_ends_on_silence_with_text_segments_and_duration() -> None:
    fake = FakeTranscriber()
    fake.enqueue("I would add an index")
    pipeline = AudioPipeline(fake, input_format=PcmFormat(48000, 2), endpoint=EndpointConfig(silence_s=1.0))
    events = await collect(pipeline, chunked(answer_audio()))
    interims = [e for e in events if isinstance(e, TranscriptEvent) and e.kind == "interim"]
    assert [e.text for e in interims] == ["I", "I would", "I would add", "I would add an"]
    ended = events[-1]
    assert isinstance(ended, AnswerEnded)
    assert ended.reason == "silence" and ended.text == "I would add an index"
    assert ended.duration_s == pytest.approx(1.5, abs=0.1)
    assert [s.text for s in ended.segments] == ["I would add an index"]
    # the answer stopped 1 s into the trailing silence: the rest of the source was not consumed
    assert fake.bytes_received / 32000 == pytest.approx(2.5, abs=0.1)
    assert set(ended.answer_kwargs()) <= set(inspect.signature(Session.answer).parameters)


async def test_source_ending_ends_the_answer() -> None:
    fake = FakeTranscriber()
    fake.enqueue("done")
    pipeline = AudioPipeline(fake, endpoint=EndpointConfig(silence_s=5.0))
    ended = (await collect(pipeline, chunked(answer_audio(16000, 1, silence_s=0.5))))[-1]
    assert isinstance(ended, AnswerEnded)
    assert ended.reason == "end_of_audio" and ended.text == "done"
    assert ended.duration_s == pytest.approx(2.0, abs=0.01)


async def test_max_duration_ends_the_answer() -> None:
    pipeline = AudioPipeline(FakeTranscriber(), max_answer_s=0.5)
    ended = (await collect(pipeline, chunked(answer_audio(16000, 1))))[-1]
    assert isinstance(ended, AnswerEnded) and ended.reason == "max_duration"


async def test_zero_length_audio_is_a_clear_outcome() -> None:
    events = await collect(AudioPipeline(FakeTranscriber()), chunked(b""))
    assert len(events) == 2 and events[0].kind == "utterance_end"
    ended = events[-1]
    assert isinstance(ended, AnswerEnded)
    assert ended.reason == "no_audio" and ended.text == "" and ended.duration_s == 0


@pytest.mark.parametrize(("data", "fmt", "message"), [
    (b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(64), PcmFormat(), "WAV"),
    (b"this is a text file, not audio at all\n" * 10, PcmFormat(), "text"),
    (bytes(3201), PcmFormat(), "middle of a sample frame"),
], ids=["wav", "text", "odd-bytes"])
async def test_bad_audio_raises_invalid_audio_not_a_group(data: bytes, fmt: PcmFormat, message: str) -> None:
    before = len(asyncio.all_tasks())
    with pytest.raises(InvalidAudio, match=message):
        await collect(AudioPipeline(FakeTranscriber(), input_format=fmt), chunked(data, 3200))
    assert len(asyncio.all_tasks()) == before


class SlowTranscriber:
    """Takes 50 ms per chunk, as a transcriber on an overloaded machine might."""

    def __init__(self) -> None:
        self.bytes_received = 0

    async def stream(self, audio: Audio, options: TranscriptionOptions) -> AsyncIterator[TranscriptEvent]:
        async for chunk in audio:
            self.bytes_received += len(chunk)
            await anyio.sleep(0.05)
        yield TranscriptEvent(kind="final", text="slow words")


async def test_back_pressure_drops_and_counts_instead_of_queueing() -> None:
    slow = SlowTranscriber()
    pipeline = AudioPipeline(slow, buffer_s=0.5, endpoint=EndpointConfig(silence_s=10))  # type: ignore[arg-type]
    audio = answer_audio(16000, 1, speech_s=2.0, silence_s=2.0)  # 4.5 s arriving in ~0.2 s
    ended = (await collect(pipeline, chunked(audio, 3200, delay=0.002)))[-1]
    assert isinstance(ended, AnswerEnded) and ended.text == "slow words"
    stats = pipeline.stats
    assert stats.dropped_chunks > 0
    assert ended.dropped_s == stats.dropped_s
    assert slow.bytes_received + stats.dropped_s * 32000 == pytest.approx(len(audio))
    assert slow.bytes_received <= 0.5 * 32000 + 20 * 3200


def test_drop_buffer_bounds_and_counts() -> None:
    stats = PipelineStats()
    buffer = DropBuffer(0.1, stats)  # 3200 bytes
    for i in range(5):
        buffer.put(bytes([i]) * 1000)
    assert stats.dropped_chunks == 2 and stats.dropped_s == pytest.approx(2000 / 32000)
    buffer.put(bytes(10_000))  # one chunk larger than the bound is kept alone
    assert stats.dropped_chunks == 5


async def test_drop_buffer_iterates_until_closed() -> None:
    buffer = DropBuffer(1.0)
    got: list[bytes] = []

    async def consume() -> None:
        got.extend([c async for c in buffer])

    async with anyio.create_task_group() as tg:
        tg.start_soon(consume)
        for i in range(3):
            buffer.put(bytes([i]) * 2)
            await anyio.sleep(0.01)
        buffer.close()
    assert got == [b"\x00\x00", b"\x01\x01", b"\x02\x02"]


class BrokenTranscriber:
    async def stream(self, audio: Audio, options: TranscriptionOptions) -> AsyncIterator[TranscriptEvent]:
        async for _ in audio:
            raise TranscriptionError("vendor down")
        yield TranscriptEvent(kind="utterance_end")


async def test_transcriber_failure_is_raised_typed() -> None:
    with pytest.raises(TranscriptionError, match="vendor down"):
        await collect(AudioPipeline(BrokenTranscriber()), chunked(answer_audio(16000, 1)))  # type: ignore[arg-type]


async def test_leaving_early_leaves_no_tasks_or_threads() -> None:
    tasks, threads = len(asyncio.all_tasks()), threading.active_count()

    async def endless() -> AsyncIterator[bytes]:
        while True:
            await anyio.sleep(0.01)
            yield bytes(320)

    async with AudioPipeline(SlowTranscriber()).listen(endless()) as events:  # type: ignore[arg-type]
        await anyio.sleep(0.1)
    assert events is not None
    assert len(asyncio.all_tasks()) == tasks and threading.active_count() == threads
