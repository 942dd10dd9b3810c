"""The conformance suite run against the fakes: the suite itself works, and the fakes honour it."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from interview_engine.models import TranscriptionOptions
from interview_engine.testing import FakeEmotionAnalyzer, FakeEvaluator, FakeQuestionSource, FakeTranscriber
from interview_engine.testing.conformance import (
    EmotionAnalyzerConformance,
    EvaluatorConformance,
    QuestionSourceConformance,
    TranscriberConformance,
)


class TestFakeQuestionSource(QuestionSourceConformance):
    @pytest.fixture
    def provider(self) -> FakeQuestionSource:
        return FakeQuestionSource(delay=0.01)


class TestFakeEvaluator(EvaluatorConformance):
    @pytest.fixture
    def provider(self) -> FakeEvaluator:
        return FakeEvaluator(delay=0.01)

    @pytest.fixture
    def failing_provider(self) -> FakeEvaluator:
        evaluator = FakeEvaluator()
        evaluator.fail_next("model returned invalid JSON three times")
        return evaluator


class TestFakeTranscriber(TranscriberConformance):
    @pytest.fixture
    def provider(self) -> FakeTranscriber:
        return FakeTranscriber()

    @pytest.fixture
    def speech(self, provider: FakeTranscriber) -> tuple[bytes, TranscriptionOptions, list[str]]:
        provider.enqueue("python and databases", "python and databases")
        tone = b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) for i in range(16000))
        return tone, TranscriptionOptions(), ["python", "databases"]


class TestFakeEmotionAnalyzer(EmotionAnalyzerConformance):
    @pytest.fixture
    def provider(self) -> FakeEmotionAnalyzer:
        return FakeEmotionAnalyzer()

    @pytest.fixture
    def face(self) -> np.ndarray:
        return np.arange(120 * 160 * 3, dtype=np.uint8).reshape(120, 160, 3)
