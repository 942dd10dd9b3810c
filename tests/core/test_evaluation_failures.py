"""An evaluator's output the store cannot hold (NUL bytes, lone surrogates, a missing feedback, something that
is not a score card, an exception whose message carries such text) becomes a failed evaluation with a clean
reason on the first attempt: the job does not crash, is not retried, and the report is built. On SQLite and on
the real Postgres (which refuses NUL in text)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from interview_engine import Engine, Settings
from interview_engine.errors import EvaluationFailed
from interview_engine.jobs import evaluation_job
from interview_engine.models import DimensionScore, EvaluationRequest, ScoreCard, check_text
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

pytestmark = pytest.mark.anyio


def _card(request: EvaluationRequest, *, feedback: Any = "Fine.", rationale: str = "fine",
          evidence: str | None = None) -> ScoreCard:
    """A score card built the way a careless evaluator might: without validation."""
    quote = evidence if evidence is not None else request.answer.text
    scores = [DimensionScore.model_construct(dimension=d.key, score=80, evidence=[quote], rationale=rationale)
              for d in request.spec.rubric]
    return ScoreCard.model_construct(scores=scores, feedback=feedback)


OUTPUTS: dict[str, Callable[[EvaluationRequest], Any] | BaseException] = {
    "nul in feedback": lambda r: _card(r, feedback="good \x00 answer"),
    "surrogate in feedback": lambda r: _card(r, feedback="good \ud800 answer"),
    "feedback none": lambda r: _card(r, feedback=None),
    "nul in rationale": lambda r: _card(r, rationale="solid\x00"),
    "surrogate in evidence": lambda r: _card(r, evidence="surrogate in evidence \udc80"),
    "not a score card": lambda r: {"scores": "all of them"},
    "exception with nul and surrogate": RuntimeError("model said \x00 and \ud800"),
    "evaluation failed with nul": EvaluationFailed("gave up \x00 on \udfff this"),
}


class ScriptedByAnswer(FakeEvaluator):
    """Answers each request with the output named by the answer's text."""

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        self.requests.append(request)
        output = OUTPUTS[request.answer.text]
        if isinstance(output, BaseException):
            raise output
        result: ScoreCard = output(request)
        return result


async def test_unstorable_evaluator_output_becomes_a_failed_evaluation(
    database_url: str, source: FakeQuestionSource, hooks: Any
) -> None:
    evaluator = ScriptedByAnswer()
    async with Engine(Settings(database_url=database_url, plugins=""), question_source=source,
                      evaluator=evaluator) as engine:
        engine.plugins.register(hooks, name="recorder")
        session = await engine.start({"role": "backend", "question_count": len(OUTPUTS)})
        for text in OUTPUTS:
            question = session.current_question
            assert question is not None
            await session.answer(question.id, text)
        await session.finish()
        report = await session.report(timeout=20)
        jobs = [await engine.store.get_job(evaluation_job(a.id).key) for a in session.answers]
    results = {r.answer.text: r.evaluation for r in report.questions if r.answer is not None}
    assert set(results) == set(OUTPUTS)
    for text, evaluation in results.items():
        assert evaluation is not None and evaluation.status == "failed", text
        assert evaluation.reason and check_text(evaluation.reason) == evaluation.reason, text
    assert [(j.status, j.attempts) for j in jobs if j is not None] == [("done", 1)] * len(OUTPUTS)
    assert len(evaluator.requests) == len(OUTPUTS)
    assert len(hooks.named("after_answer_evaluated")) == len(OUTPUTS)
    assert len(hooks.named("on_session_finished")) == 1
