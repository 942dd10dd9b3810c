"""Building EmotionReadings from raw model output, shared by emotion analyzer plugins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import ProviderError
from ..models import EMOTIONS, EmotionReading, FaceBox, FaceEmotion

Box = tuple[int, int, int, int]
"""x, y, width, height in pixels."""


def face_emotion(scores: Mapping[str, float], box: Box, frame_size: tuple[int, int]) -> FaceEmotion | None:
    """One face from per-emotion scores (any positive scale, normalised here) and a box clipped to the
    frame (``frame_size`` is height, width). None when the box lies outside the frame."""
    missing = [e for e in EMOTIONS if e not in scores]
    if missing:
        raise ProviderError(f"emotion model output lacks {', '.join(missing)}")
    values = [max(float(scores[e]), 0.0) for e in EMOTIONS]
    total = sum(values)
    if not total > 0:
        raise ProviderError("emotion model output has no positive score")
    clipped = clip_box(box, frame_size)
    if clipped is None:
        return None
    probs = {e: min(v / total, 1.0) for e, v in zip(EMOTIONS, values, strict=True)}
    dominant = max(EMOTIONS, key=lambda e: probs[e])
    return FaceEmotion(box=FaceBox(x=clipped[0], y=clipped[1], w=clipped[2], h=clipped[3]), emotions=probs,
                       dominant=dominant)


def clip_box(box: Box, frame_size: tuple[int, int]) -> Box | None:
    """``box`` cut to the frame, or None when nothing of it is inside."""
    height, width = frame_size
    x, y, w, h = (int(v) for v in box)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, width), min(y + h, height)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def emotion_reading(faces: Iterable[FaceEmotion | None]) -> EmotionReading:
    """The reading for the faces found, largest first."""
    found = [f for f in faces if f is not None]
    return EmotionReading(faces=sorted(found, key=lambda f: f.box.w * f.box.h, reverse=True))


def scale_reading(reading: EmotionReading, factor: int) -> EmotionReading:
    """The reading with its boxes multiplied by ``factor``: from a frame ``downscale`` shrank back to the
    original's pixels (which the scaled boxes always fit in)."""
    if factor == 1:
        return reading
    faces = [
        face.model_copy(update={"box": FaceBox(x=face.box.x * factor, y=face.box.y * factor,
                                               w=face.box.w * factor, h=face.box.h * factor)})
        for face in reading.faces
    ]
    return EmotionReading(faces=faces)
