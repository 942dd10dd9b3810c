"""The transformers providers on a tiny random-weight Llama pass the conformance suites (constrained
decoding makes even random weights produce valid output) and drive a whole interview."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interview_engine import Engine, Settings
from interview_engine.testing.conformance import EvaluatorConformance, QuestionSourceConformance


class TestTransformersQuestionSource(QuestionSourceConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls, open_provider: Any) -> Iterator[Any]:
        with open_provider("question_source") as provider:
            yield provider


class TestTransformersEvaluator(EvaluatorConformance):
    @pytest.fixture(scope="class")
    @classmethod
    def provider(cls, open_provider: Any) -> Iterator[Any]:
        with open_provider("evaluator") as provider:
            yield provider

    @pytest.fixture
    def failing_provider(self, open_provider: Any) -> Iterator[Any]:
        """Eight tokens cannot hold a score card: every attempt is cut off mid-JSON."""
        with open_provider("evaluator", max_new_tokens=8, attempts=2) as provider:
            yield provider


@pytest.mark.anyio
async def test_an_interview_end_to_end(tiny_llama: Path, tmp_path: Path) -> None:
    options = {"model": str(tiny_llama), "threads": 1}
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}", plugins="transformers",
        question_source="transformers", question_source_options=options,
        evaluator="transformers", evaluator_options=options,
    )
    async with Engine(settings) as engine:
        ctx = engine.context
        assert ctx.question_source.backend is ctx.evaluator.backend, "both roles share one loaded model"
        session = await engine.start({"role": "Backend engineer", "question_count": 2, "max_follow_ups": 0})
        while (question := session.current_question) is not None:
            assert question.text.strip()
            await session.answer(question.id, "I would add an index on user_id and check EXPLAIN ANALYZE.")
        await session.finish()
        report = await session.report(timeout=120)
    assert [q.evaluation.status for q in report.questions if q.evaluation] == ["done", "done"]
    assert all(d.score is not None for d in report.dimensions)
