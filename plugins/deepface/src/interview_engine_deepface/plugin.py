"""Entry point module: registers the ``deepface`` emotion analyzer. DeepFace and onnxruntime are
imported only in the analyzer's worker processes."""

from __future__ import annotations

from typing import Any

from interview_engine import hookimpl

from .analyzer import DeepFaceAnalyzer


@hookimpl
def register_emotion_analyzers(register: Any) -> None:
    register("deepface", DeepFaceAnalyzer)
