"""Entry point module: registers the ``fer_lite`` emotion analyzer. OpenCV and LiteRT are imported
only when the analyzer is created."""

from __future__ import annotations

from typing import Any

from interview_engine.plugin_api import hookimpl, lazy_factory


@hookimpl
def register_emotion_analyzers(register: Any) -> None:
    register("fer_lite", lazy_factory("interview_engine_fer_lite.analyzer:FerLiteAnalyzer"))
