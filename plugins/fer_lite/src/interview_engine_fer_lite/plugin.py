"""Entry point module: registers the ``fer_lite`` emotion analyzer. OpenCV and LiteRT are imported
only when the analyzer is created."""

from __future__ import annotations

from typing import Any

from interview_engine import hookimpl


def create_fer_lite(**options: Any) -> Any:
    """Build a FerLiteAnalyzer from the ``emotion_analyzer_options`` settings."""
    from .analyzer import FerLiteAnalyzer

    return FerLiteAnalyzer(**options)


@hookimpl
def register_emotion_analyzers(register: Any) -> None:
    register("fer_lite", create_fer_lite)
