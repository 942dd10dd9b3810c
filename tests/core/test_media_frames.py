"""The frame sampler: one sample per interval, analysis off the event loop, bounded back-pressure,
large frames downscaled, samples stored for the session with proctoring signals, clean shutdown."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest

from interview_engine import Engine, Settings
from interview_engine.errors import IllegalTransition, InvalidFrame, ProviderError
from interview_engine.media import frames
from interview_engine.media.frames import FrameSampler, TimedFrame
from interview_engine.models import EmotionReading, FaceBox
from interview_engine.providers import Frame
from interview_engine.session import Session
from interview_engine.testing import FakeEmotionAnalyzer, reading

pytestmark = pytest.mark.anyio

VGA = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)  # textured: the fake sees a face


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The engine of tests/core/conftest.py, loading no installed plugin."""
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}", plugins="")


class RecordingAnalyzer(FakeEmotionAnalyzer):
    """The fake analyzer that records frame shapes, waits for ``gate`` and can fail on demand."""

    def __init__(self, *, gated: bool = False, fail: int = 0) -> None:
        super().__init__()
        self.gate = anyio.Event()
        if not gated:
            self.gate.set()
        self.fail = fail
        self.shapes: list[tuple[int, ...]] = []
        self.entered = anyio.Event()

    async def analyze(self, frame: Frame) -> EmotionReading:
        self.shapes.append(frame.shape)
        self.entered.set()
        await self.gate.wait()
        if self.fail:
            self.fail -= 1
            raise ProviderError("scripted analyzer failure")
        return await super().analyze(frame)


async def start(engine: Engine, *, opt_in: bool = True) -> Session:
    return await engine.start({"role": "Backend engineer", "question_count": 2, "emotion_analysis": opt_in})


def stream(times: list[float], image: np.ndarray = VGA, fmt: Any = "rgb") -> list[TimedFrame]:
    return [TimedFrame(image, t, fmt) for t in times]


async def test_one_sample_per_interval_tagged_with_the_current_question(engine: Engine) -> None:
    session = await start(engine)
    first = session.current_question
    assert first is not None
    async with FrameSampler(session, RecordingAnalyzer(), interval_s=2.0, queue_size=10) as sampler:
        for frame in stream([i * 0.5 for i in range(10)]):
            sampler.offer(frame)
        second = await session.answer(first.id, "I would add an index on the filtered column.")
        assert second is not None
        for frame in stream([5.0 + i * 0.5 for i in range(10)]):
            sampler.offer(frame)
    samples = await engine.store.list_emotion_samples(session.id)
    assert [s.t for s in samples] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert [s.question_id for s in samples] == [first.id] * 3 + [second.id] * 2
    assert all(s.face_count == 1 and s.dominant == "neutral" for s in samples)
    assert (sampler.stats.frames, sampler.stats.sampled, sampler.stats.analysed) == (20, 5, 5)
    assert sampler.stats.dropped == sampler.stats.failed == 0


async def test_falling_behind_drops_and_counts_frames(engine: Engine) -> None:
    session = await start(engine)
    analyzer = RecordingAnalyzer(gated=True)
    async with FrameSampler(session, analyzer, interval_s=2.0, workers=1, queue_size=1) as sampler:
        assert sampler.offer(TimedFrame(VGA, 0.0))
        await analyzer.entered.wait()  # the worker is busy with it
        accepted = [sampler.offer(f) for f in stream([float(t) for t in range(1, 21)])]
        assert accepted.count(True) == 1  # t=2 waits in the queue; every later due frame is dropped
        assert (sampler.stats.sampled, sampler.stats.dropped) == (2, 9)
        analyzer.gate.set()
    assert [s.t for s in await engine.store.list_emotion_samples(session.id)] == [0.0, 2.0]
    assert sampler.stats.analysed == 2


async def test_large_frames_are_downscaled_and_boxes_given_in_frame_pixels(engine: Engine) -> None:
    session = await start(engine)
    analyzer = RecordingAnalyzer()
    analyzer.enqueue(reading("happy"))  # its box is (10, 10, 50, 50) in the analysed frame
    async with FrameSampler(session, analyzer, max_side=1280) as sampler:
        sampler.offer(TimedFrame(np.zeros((2160, 3840, 3), np.uint8), 0.0))
    assert analyzer.shapes == [(720, 1280, 3)]
    [sample] = await engine.store.list_emotion_samples(session.id)
    assert sample.box == FaceBox(x=30, y=30, w=150, h=150) and sample.dominant == "happy"


@pytest.mark.parametrize(("image", "fmt"), [
    (np.zeros((720, 640), np.uint8), "yuv420p"),
    (np.zeros((480, 640, 4), np.uint8), "rgba"),
    (np.zeros((480, 640), np.uint8), "gray"),
])
async def test_pixel_formats_reach_the_analyzer_as_rgb(engine: Engine, image: np.ndarray, fmt: str) -> None:
    session = await start(engine)
    analyzer = RecordingAnalyzer()
    async with FrameSampler(session, analyzer) as sampler:
        sampler.offer(TimedFrame(image, 0.0, fmt))  # type: ignore[arg-type]
    assert analyzer.shapes == [(480, 640, 3)]


async def test_frame_preparation_runs_off_the_event_loop(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real_prepare = frames.prepare

    def prepare(*args: Any) -> Any:
        threads.append(threading.current_thread())
        return real_prepare(*args)

    monkeypatch.setattr(frames, "prepare", prepare)
    session = await start(engine)
    async with FrameSampler(session, RecordingAnalyzer()) as sampler:
        sampler.offer(TimedFrame(VGA, 0.0))
    assert len(threads) == 1 and threads[0] is not threading.current_thread()


async def test_bad_frames_raise_invalid_frame(engine: Engine) -> None:
    session = await start(engine)
    sampler = FrameSampler(session, RecordingAnalyzer())
    with pytest.raises(RuntimeError):
        sampler.offer(TimedFrame(VGA, 0.0))
    async with sampler:
        with pytest.raises(InvalidFrame):
            sampler.offer(TimedFrame(VGA.astype(np.float32), 0.0))  # type: ignore[arg-type]
        with pytest.raises(InvalidFrame):
            sampler.offer(TimedFrame(VGA, 0.0, "rgba"))
        with pytest.raises(InvalidFrame):
            sampler.offer(TimedFrame(VGA, -1.0))
        with pytest.raises(InvalidFrame):
            sampler.offer(TimedFrame(VGA, float("nan")))
    assert sampler.stats.frames == 0


async def test_analyzer_failures_and_timeouts_are_counted_not_fatal(engine: Engine) -> None:
    session = await start(engine)
    async with FrameSampler(session, RecordingAnalyzer(fail=1), queue_size=5) as sampler:
        for frame in stream([0.0, 2.0, 4.0]):
            sampler.offer(frame)
    assert (sampler.stats.failed, sampler.stats.analysed) == (1, 2)
    async with FrameSampler(session, RecordingAnalyzer(gated=True), analysis_timeout_s=0.05) as hung:
        hung.offer(TimedFrame(VGA, 10.0))
    assert (hung.stats.failed, hung.stats.analysed) == (1, 0)
    assert [s.t for s in await engine.store.list_emotion_samples(session.id)] == [2.0, 4.0]


async def test_a_spec_without_opt_in_gets_no_sampler(engine: Engine) -> None:
    session = await start(engine, opt_in=False)
    with pytest.raises(IllegalTransition):
        FrameSampler(session, RecordingAnalyzer())


async def test_no_face_and_several_faces_become_proctoring_signals(engine: Engine) -> None:
    session = await start(engine)
    analyzer = RecordingAnalyzer()
    analyzer.enqueue(reading(), EmotionReading(), EmotionReading(), reading(faces=2), reading("happy"))
    async with FrameSampler(session, analyzer, queue_size=10) as sampler:
        for frame in stream([0.0, 2.0, 4.0, 6.0, 8.0]):
            sampler.offer(frame)
    await session.finish()
    report = await session.report(timeout=10)
    assert report.emotions is not None
    assert [(p.kind, p.t) for p in report.emotions.proctoring] == [("no_face", 2.0), ("multiple_faces", 6.0)]
    assert [s.face_count for s in report.emotions.timeline] == [1, 0, 0, 2, 1]


async def test_an_error_or_cancellation_stops_workers_and_leaves_nothing_behind(engine: Engine) -> None:
    session = await start(engine)
    analyzer = RecordingAnalyzer(gated=True)
    tasks_before = len(asyncio.all_tasks())
    threads_before = set(threading.enumerate())
    with pytest.raises(KeyError):
        async with FrameSampler(session, analyzer, workers=2) as sampler:
            sampler.offer(TimedFrame(VGA, 0.0))
            await analyzer.entered.wait()
            raise KeyError("host failed")
    with anyio.move_on_after(0.2) as scope:
        async with FrameSampler(session, analyzer, workers=2) as sampler:
            sampler.offer(TimedFrame(VGA, 0.0))
            await anyio.sleep(30)
    assert scope.cancelled_caught
    assert len(asyncio.all_tasks()) == tasks_before
    new_threads = [t for t in set(threading.enumerate()) - threads_before if t.name != "AnyIO worker thread"]
    assert new_threads == []
    assert await engine.store.list_emotion_samples(session.id) == []
