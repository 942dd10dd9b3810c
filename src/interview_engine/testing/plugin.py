"""A plugin registering the fakes under the name ``fake``, for CLI tests and benchmarks:
``INTERVIEW_ENGINE_PLUGIN_MODULES=interview_engine.testing.plugin``."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl
from .fakes import FakeEmotionAnalyzer, FakeEvaluator, FakeQuestionSource, FakeTranscriber

__all__: list[str] = []  # loaded by its module path (settings' plugin_modules), never imported from


@hookimpl
def register_question_sources(register: Any) -> None:
    register("fake", FakeQuestionSource)


@hookimpl
def register_evaluators(register: Any) -> None:
    register("fake", FakeEvaluator)


@hookimpl
def register_transcribers(register: Any) -> None:
    register("fake", FakeTranscriber)


@hookimpl
def register_emotion_analyzers(register: Any) -> None:
    register("fake", FakeEmotionAnalyzer)
