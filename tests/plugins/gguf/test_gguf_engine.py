"""A whole interview through Engine(settings) with the gguf evaluator on llama.cpp: a model that gives
invalid JSON every time ends in a failed evaluation with its reason, and the session goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from interview_engine import Engine, load_settings

pytestmark = pytest.mark.anyio

ANSWERS = [
    "I would profile the endpoint first, then add a composite index and cache the hot reads in Redis.",
    "At my last job I split a monolith into three services and owned the migration plan end to end.",
]


async def _interview(tmp_path: Path, evaluator_options: dict[str, Any]) -> Any:
    settings = load_settings(
        plugins="gguf", question_source="bank", evaluator="gguf", evaluator_options=evaluator_options,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}",
    )
    async with Engine(settings) as engine:
        session = await engine.start({"role": "backend engineer", "level": "mid", "question_count": 2,
                                      "max_follow_ups": 0})
        for text in ANSWERS:
            question = session.current_question
            assert question is not None
            await session.answer(question.id, text)
        assert session.current_question is None
        await session.finish()
        return await session.report(timeout=300)


async def test_invalid_json_every_time_is_a_failed_evaluation_and_the_session_goes_on(
    tmp_path: Path, gguf_options: dict[str, Any]
) -> None:
    report = await _interview(tmp_path, {**gguf_options, "max_tokens": 8})
    assert len(report.questions) == 2 and all(q.answer for q in report.questions)
    for result in report.questions:
        evaluation = result.evaluation
        assert evaluation.status == "failed" and evaluation.evaluator == "gguf"
        assert "invalid output 3 times" in evaluation.reason and "JSON" in evaluation.reason
    assert report.overall_score is None


async def test_a_working_model_scores_every_answer(tmp_path: Path, gguf_options: dict[str, Any]) -> None:
    report = await _interview(tmp_path, gguf_options)
    for result in report.questions:
        assert result.evaluation.status == "done"
        assert {s.dimension for s in result.evaluation.scores} == {
            "technical_accuracy", "problem_solving", "communication", "role_fit"}
