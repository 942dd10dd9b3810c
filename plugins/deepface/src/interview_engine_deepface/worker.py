"""What runs inside each worker process: DeepFace on onnxruntime, one emotion model per process
(DeepFace keeps its models in a process-wide cache and they are not thread-safe).

DeepFace downloads missing weights on first use; here that is disabled, so a missing file is an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from interview_engine.plugin_api import Box, downscale

WEIGHTS_FILE = "facial_expression_model_weights.onnx"
"""The file DeepFace's ONNX emotion model loads (deepface/models/demography/onnx/Emotion.py)."""
DETECTOR = "opencv"
QUIET_LOG_LEVEL = "30"

RawFace = tuple[dict[str, float], Box]
"""Emotion scores in percent by label, and the face box in pixels of the frame given."""


def weights_dir(home: str | Path) -> Path:
    """Where DeepFace looks for weights under ``home`` (its DEEPFACE_HOME)."""
    return Path(home) / ".deepface" / "weights"


_started = False


def start(home: str) -> None:
    """Once per process: point DeepFace at ``home``, run it on onnxruntime with downloads disabled, and
    build the emotion model and the face detector (errors reach the caller with the frame's result).
    A process belongs to one analyzer, so ``home`` is the same on every call."""
    global _started
    if _started:
        return
    os.environ["DEEPFACE_HOME"] = home
    os.environ["DEEPFACE_BACKEND_ENGINE"] = "onnx"
    os.environ.setdefault("DEEPFACE_LOG_LEVEL", QUIET_LOG_LEVEL)
    from deepface.commons import weight_utils

    weight_utils.download_weights_if_necessary = _local_weights
    from deepface import DeepFace

    DeepFace.build_model("Emotion", task="facial_attribute")
    DeepFace.build_model(DETECTOR, task="face_detector")
    _started = True


def _local_weights(file_name: str, source_url: Any, compress_type: str | None = None) -> str:
    """Stands in for DeepFace's downloader: the file if it is already there, else an error."""
    path = weights_dir(os.environ["DEEPFACE_HOME"]) / file_name
    if not path.is_file():
        raise FileNotFoundError(f"no {file_name} in {path.parent}; DeepFace downloads are disabled")
    return str(path)


def read(frame: np.ndarray, max_side: int, home: str) -> list[RawFace]:
    """Faces in an RGB frame with DeepFace's emotion scores; the frame is downscaled to ``max_side`` for
    detection and boxes are given back in its original pixels."""
    start(home)
    from deepface import DeepFace
    from deepface.modules.exceptions import FaceNotDetected, ImgNotFound

    small, factor = downscale(frame, max_side)
    try:
        results = DeepFace.analyze(np.ascontiguousarray(small[:, :, ::-1]), actions=["emotion"],
                                   detector_backend=DETECTOR, enforce_detection=True, silent=True)
    except (FaceNotDetected, ImgNotFound):
        return []
    faces: list[RawFace] = []
    for result in results:
        region = result["region"]
        box = (region["x"] * factor, region["y"] * factor, region["w"] * factor, region["h"] * factor)
        faces.append(({k: float(v) for k, v in result["emotion"].items()}, box))
    return faces
