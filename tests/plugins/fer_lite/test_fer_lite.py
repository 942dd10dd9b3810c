"""fer_lite on fer's real quantized model: conformance, a smiling face, several faces, none, 4K frames,
bad input, work off the event loop, clean close, and registration as a plugin."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
from interview_engine_fer_lite.analyzer import FerLiteAnalyzer
from interview_engine_fer_lite.model import FerLiteModel
from skimage import data

from interview_engine import Engine, Settings
from interview_engine.errors import InvalidFrame, ModelNotFound, ProviderError
from interview_engine.media.frames import FrameSampler, TimedFrame
from interview_engine.plugins import ProviderRegistry, build_plugin_manager
from interview_engine.testing.conformance import EmotionAnalyzerConformance


class TestFerLiteConformance(EmotionAnalyzerConformance):
    @pytest.fixture
    def provider(self, fer_lite: FerLiteAnalyzer) -> FerLiteAnalyzer:
        return fer_lite

    @pytest.fixture
    def face(self, astronaut: np.ndarray) -> np.ndarray:
        return astronaut


pytestmark = pytest.mark.anyio


def near(box: Any, x: int, y: int, side: int, tolerance: float = 0.2) -> bool:
    return all(abs(a - b) <= tolerance * side for a, b in ((box.x, x), (box.y, y), (box.w, side), (box.h, side)))


async def test_the_astronaut_smiles(fer_lite: FerLiteAnalyzer, astronaut: np.ndarray) -> None:
    [face] = (await fer_lite.analyze(astronaut)).faces
    assert face.dominant == "happy" and face.emotions["happy"] > 0.5
    assert near(face.box, 177, 66, 95)


async def test_two_faces_side_by_side(fer_lite: FerLiteAnalyzer, astronaut: np.ndarray) -> None:
    faces = (await fer_lite.analyze(np.tile(astronaut, (1, 2, 1)))).faces
    assert len(faces) == 2
    assert sorted(near(f.box, 177 + offset, 66, 95) for f in faces for offset in (0, 512)).count(True) == 2
    assert all(f.dominant == "happy" for f in faces)
    assert faces[0].box.w * faces[0].box.h >= faces[1].box.w * faces[1].box.h


async def test_a_4k_frame(fer_lite: FerLiteAnalyzer, astronaut: np.ndarray) -> None:
    frame = np.zeros((2160, 3840, 3), np.uint8)
    frame[56:56 + 2048, 900:900 + 2048] = np.repeat(np.repeat(astronaut, 4, axis=0), 4, axis=1)
    [face] = (await fer_lite.analyze(frame)).faces
    assert face.dominant == "happy"
    assert near(face.box, 900 + 4 * 177, 56 + 4 * 66, 4 * 95)


@pytest.mark.parametrize("image", ["coffee", "rocket", "camera"])
async def test_frames_without_a_face(fer_lite: FerLiteAnalyzer, image: str) -> None:
    frame = getattr(data, image)()
    frame = np.ascontiguousarray(np.dstack([frame] * 3) if frame.ndim == 2 else frame)
    assert (await fer_lite.analyze(frame)).faces == []


@pytest.mark.parametrize("frame", [
    np.zeros((64, 64, 4), np.uint8),
    np.zeros(64 * 64 * 3, np.uint8),
    np.zeros((64, 64, 3), np.int16),
    np.zeros((64, 0, 3), np.uint8),
    [[[0, 0, 0]]],
], ids=["rgba", "flat", "int16", "no-width", "list"])
async def test_more_bad_frames_are_invalid(fer_lite: FerLiteAnalyzer, frame: Any) -> None:
    with pytest.raises(InvalidFrame):
        await fer_lite.analyze(frame)


async def test_analysis_runs_on_worker_threads(fer_lite: FerLiteAnalyzer, astronaut: np.ndarray,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real_read = FerLiteModel.read

    def read(self: FerLiteModel, frame: np.ndarray) -> Any:
        threads.append(threading.current_thread())
        return real_read(self, frame)

    monkeypatch.setattr(FerLiteModel, "read", read)
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(fer_lite.analyze, astronaut)
    assert len(threads) == 3 and threading.current_thread() not in threads


async def test_close_waits_for_cancelled_work_and_leaves_no_thread(astronaut: np.ndarray) -> None:
    threads_before = set(threading.enumerate())
    analyzer = FerLiteAnalyzer()
    with anyio.move_on_after(0.001):
        await analyzer.analyze(np.repeat(np.repeat(astronaut, 4, axis=0), 4, axis=1))
    await analyzer.aclose()
    assert analyzer._models.empty()  # every model came back from the abandoned call and was freed
    with pytest.raises(ProviderError):
        await analyzer.analyze(astronaut)
    assert [t for t in set(threading.enumerate()) - threads_before if t.name != "AnyIO worker thread"] == []


def test_missing_model_and_bad_options_are_typed(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound):
        FerLiteAnalyzer(model_path=str(tmp_path / "missing.tflite"))
    (tmp_path / "broken.tflite").write_bytes(b"not a model")
    with pytest.raises(ModelNotFound):
        FerLiteAnalyzer(model_path=str(tmp_path / "broken.tflite"))
    with pytest.raises(ModelNotFound):
        FerLiteAnalyzer(cascade_path=str(tmp_path / "missing.xml"))
    for options in ({"workers": 0}, {"min_face": 1.5}, {"scale_factor": 1.0}, {"detect_short_side": 10}):
        with pytest.raises(ProviderError):
            FerLiteAnalyzer(**options)


def test_discovering_the_plugin_imports_no_opencv_or_litert() -> None:
    code = ("import sys, interview_engine_fer_lite.plugin; "
            "assert not {'cv2', 'ai_edge_litert'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_sampled_interview_with_fer_lite(tmp_path: Path, astronaut: np.ndarray) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}", plugins="fer_lite")
    assert "fer_lite" in ProviderRegistry(build_plugin_manager(["fer_lite"], from_env=False)).names(
        "emotion_analyzer")
    async with Engine(settings) as engine:
        analyzer = engine.providers.create("emotion_analyzer", "fer_lite", {"workers": 1})
        session = await engine.start({"role": "Backend engineer", "question_count": 1, "emotion_analysis": True})
        frames = [astronaut, np.tile(astronaut, (1, 2, 1)), np.full((480, 640, 3), 90, np.uint8), astronaut]
        async with FrameSampler(session, analyzer, queue_size=4) as sampler:
            for i, frame in enumerate(frames):
                sampler.offer(TimedFrame(frame, 2.0 * i))
        await analyzer.aclose()
        await session.finish()
        report = await session.report(timeout=30)
    assert report.emotions is not None
    assert [s.face_count for s in report.emotions.timeline] == [1, 2, 0, 1]
    assert report.emotions.dominant_share == {"happy": 1.0}
    assert [(p.kind, p.t) for p in report.emotions.proctoring] == [("multiple_faces", 2.0), ("no_face", 4.0)]
