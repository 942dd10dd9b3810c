"""The core conformance suites, run against the gguf providers on real llama.cpp inference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from interview_engine_gguf.plugin import gguf_evaluator, gguf_question_source

from interview_engine.llm import LLMEvaluator, LLMQuestionSource
from interview_engine.testing.conformance import EvaluatorConformance, QuestionSourceConformance

MODEL = "smollm2-135m"

LLM_CALL_TIMEOUT_S = 600.0
"""Real llama.cpp on one thread of two shared cores: a Korean score card took 74 s alone and 300 s with
the machine loaded, so each call and each test (below) get room for a loaded machine."""
pytestmark = pytest.mark.timeout(900)


def _closing(provider: Any) -> Iterator[Any]:
    yield provider
    anyio.run(provider.aclose)


@pytest.fixture(scope="module")
def question_source(smollm2_path: Path, llama_options: dict[str, Any]) -> Iterator[LLMQuestionSource]:
    yield from _closing(gguf_question_source(model=MODEL, **llama_options, seed=0))


@pytest.fixture(scope="module")
def evaluator(smollm2_path: Path, llama_options: dict[str, Any]) -> Iterator[LLMEvaluator]:
    yield from _closing(gguf_evaluator(model=MODEL, **llama_options))


@pytest.fixture(scope="module")
def failing_evaluator(smollm2_path: Path, llama_options: dict[str, Any]) -> Iterator[LLMEvaluator]:
    """Eight tokens cannot hold a score card: every attempt is truncated, invalid JSON."""
    yield from _closing(gguf_evaluator(model=MODEL, **llama_options, max_tokens=8))


class TestGGUFQuestionSource(QuestionSourceConformance):
    timeout = LLM_CALL_TIMEOUT_S

    @pytest.fixture
    def provider(self, question_source: LLMQuestionSource) -> LLMQuestionSource:
        return question_source


class TestGGUFEvaluator(EvaluatorConformance):
    timeout = LLM_CALL_TIMEOUT_S

    @pytest.fixture
    def provider(self, evaluator: LLMEvaluator) -> LLMEvaluator:
        return evaluator

    @pytest.fixture
    def failing_provider(self, failing_evaluator: LLMEvaluator) -> LLMEvaluator:
        return failing_evaluator
