"""Building EmotionReadings from raw analyzer output."""

from __future__ import annotations

import pytest

from interview_engine.errors import ProviderError
from interview_engine.media.frames_faces import emotion_reading, face_emotion, scale_reading
from interview_engine.models import EMOTIONS, FaceBox

PERCENT = {"angry": 5, "disgust": 0, "fear": 5, "happy": 70, "sad": 10, "surprise": 5, "neutral": 5}


def test_scores_on_any_scale_become_probabilities() -> None:
    face = face_emotion(PERCENT, (10, 20, 30, 40), (480, 640))
    assert face is not None and face.dominant == "happy"
    assert face.emotions["happy"] == pytest.approx(0.7) and sum(face.emotions.values()) == pytest.approx(1)
    assert list(face.emotions) == list(EMOTIONS)


def test_boxes_are_clipped_to_the_frame_or_dropped_outside_it() -> None:
    face = face_emotion(PERCENT, (-10, 450, 50, 50), (480, 640))
    assert face is not None and face.box == FaceBox(x=0, y=450, w=40, h=30)
    assert face_emotion(PERCENT, (700, 10, 50, 50), (480, 640)) is None


@pytest.mark.parametrize("scores", [
    {k: v for k, v in PERCENT.items() if k != "fear"},
    dict.fromkeys(EMOTIONS, 0.0),
    dict.fromkeys(EMOTIONS, float("nan")),
], ids=["missing-label", "all-zero", "nan"])
def test_unusable_model_output_is_a_provider_error(scores: dict[str, float]) -> None:
    with pytest.raises(ProviderError):
        face_emotion(scores, (0, 0, 10, 10), (480, 640))


def test_readings_list_the_largest_face_first_and_scale_back() -> None:
    small = face_emotion(PERCENT, (0, 0, 10, 10), (480, 640))
    large = face_emotion(PERCENT, (100, 100, 60, 60), (480, 640))
    reading = emotion_reading([small, None, large])
    assert [f.box.w for f in reading.faces] == [60, 10]
    scaled = scale_reading(reading, 3)
    assert scaled.faces[0].box == FaceBox(x=300, y=300, w=180, h=180)
    assert scale_reading(reading, 1) is reading
