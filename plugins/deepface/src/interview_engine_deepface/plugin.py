"""Entry point module: registers the ``deepface`` emotion analyzer. DeepFace and onnxruntime are
imported only in the analyzer's worker processes."""

from __future__ import annotations

from typing import Any

from interview_engine.plugin_api import hookimpl, lazy_factory


@hookimpl
def register_emotion_analyzers(register: Any) -> None:
    register("deepface", lazy_factory("interview_engine_deepface.analyzer:DeepFaceAnalyzer"))
