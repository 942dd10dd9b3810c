"""deepface on DeepFace's real code path with a random-weight emotion model: conformance, 7-class output
and the face box, several faces, none, 4K frames, bad input, no downloads, clean close."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from interview_engine_deepface.analyzer import DeepFaceAnalyzer
from interview_engine_deepface.worker import WEIGHTS_FILE
from skimage import data

from interview_engine.errors import InvalidFrame, ModelNotFound, ProviderError
from interview_engine.models import EMOTIONS
from interview_engine.plugins import ProviderRegistry, build_plugin_manager
from interview_engine.testing.conformance import EmotionAnalyzerConformance

ASTRONAUT = data.astronaut()


class TestDeepFaceConformance(EmotionAnalyzerConformance):
    @pytest.fixture
    def provider(self, deepface_analyzer: DeepFaceAnalyzer) -> DeepFaceAnalyzer:
        return deepface_analyzer

    @pytest.fixture
    def face(self) -> np.ndarray:
        return ASTRONAUT


pytestmark = pytest.mark.anyio


def near(box: Any, x: int, y: int, side: int, tolerance: float = 0.2) -> bool:
    return all(abs(a - b) <= tolerance * side for a, b in ((box.x, x), (box.y, y), (box.w, side), (box.h, side)))


async def test_seven_emotions_and_the_face_box(deepface_analyzer: DeepFaceAnalyzer) -> None:
    [face] = (await deepface_analyzer.analyze(ASTRONAUT)).faces
    assert list(face.emotions) == list(EMOTIONS) and abs(sum(face.emotions.values()) - 1) < 1e-6
    assert face.dominant == max(face.emotions, key=face.emotions.__getitem__)
    assert near(face.box, 177, 66, 95)


async def test_two_faces_side_by_side(deepface_analyzer: DeepFaceAnalyzer) -> None:
    faces = (await deepface_analyzer.analyze(np.tile(ASTRONAUT, (1, 2, 1)))).faces
    assert sorted(near(f.box, 177 + offset, 66, 95) for f in faces for offset in (0, 512)).count(True) == 2


async def test_a_4k_frame_is_downscaled_for_detection(deepface_analyzer: DeepFaceAnalyzer) -> None:
    frame = np.zeros((2160, 3840, 3), np.uint8)
    frame[300:300 + 1536, 1000:1000 + 1536] = np.repeat(np.repeat(ASTRONAUT, 3, axis=0), 3, axis=1)
    [face] = (await deepface_analyzer.analyze(frame)).faces
    assert near(face.box, 1000 + 3 * 177, 300 + 3 * 66, 3 * 95)


async def test_a_frame_without_a_face(deepface_analyzer: DeepFaceAnalyzer) -> None:
    assert (await deepface_analyzer.analyze(data.coffee())).faces == []


@pytest.mark.parametrize("frame", [np.zeros((64, 64, 4), np.uint8), np.zeros((64, 64, 3), np.int16)],
                         ids=["rgba", "int16"])
async def test_more_bad_frames_are_invalid(deepface_analyzer: DeepFaceAnalyzer, frame: Any) -> None:
    with pytest.raises(InvalidFrame):
        await deepface_analyzer.analyze(frame)


def test_missing_weights_are_a_clear_error_and_nothing_is_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPFACE_HOME", str(tmp_path))
    with pytest.raises(ModelNotFound, match=WEIGHTS_FILE):
        DeepFaceAnalyzer()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ProviderError):
        DeepFaceAnalyzer(workers=0, home=str(tmp_path))


async def test_unloadable_weights_fail_the_frame_with_the_reason(tmp_path: Path) -> None:
    weights = tmp_path / ".deepface" / "weights" / WEIGHTS_FILE
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"not an onnx graph")
    analyzer = DeepFaceAnalyzer(home=str(tmp_path))
    try:
        with pytest.raises(ProviderError, match="onnx graph"):
            await analyzer.analyze(ASTRONAUT)
    finally:
        await analyzer.aclose()


async def test_registered_and_closed_without_leftovers(deepface_home: Path) -> None:
    threads_before, children_before = set(threading.enumerate()), set(multiprocessing.active_children())
    registry = ProviderRegistry(build_plugin_manager(["deepface"], from_env=False))
    analyzer = registry.create("emotion_analyzer", "deepface", {"home": str(deepface_home), "workers": 2})
    assert isinstance(analyzer, DeepFaceAnalyzer)
    assert len((await analyzer.analyze(ASTRONAUT)).faces) == 1
    await analyzer.aclose()
    with pytest.raises(ProviderError):
        await analyzer.analyze(ASTRONAUT)
    assert set(multiprocessing.active_children()) == children_before
    assert [t for t in set(threading.enumerate()) - threads_before if t.name != "AnyIO worker thread"] == []


def test_deepface_downloads_are_disabled_in_workers(deepface_home: Path) -> None:
    code = ("import sys; from interview_engine_deepface import worker; worker.start(sys.argv[1]); "
            "from deepface.commons import weight_utils; "
            "weight_utils.download_weights_if_necessary('age_model_weights.onnx', 'http://127.0.0.1:9/age.onnx')")
    result = subprocess.run([sys.executable, "-c", code, str(deepface_home)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "FileNotFoundError" in result.stderr and "downloads are disabled" in result.stderr
