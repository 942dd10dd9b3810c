"""The evaluator prepares for each question when it is asked (``PreparingEvaluator``), in the background:
no candidate-facing call waits for it, a failure costs nothing but the head start, and the engine
cancels what is still running when it closes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import anyio
import pytest

from interview_engine import Engine, Settings
from interview_engine.llm import GenerationRequest, LLMEvaluator
from interview_engine.llm.schemas import points_schema
from interview_engine.models import Answer, EvaluationRequest, InterviewSpec, Question, ScoreCard
from interview_engine.plugin_api import PreparingEvaluator
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

pytestmark = pytest.mark.anyio

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."
POINTS = json.dumps({"points": ["composite index", "EXPLAIN ANALYZE", "measure latency"]})


def _card(spec: InterviewSpec) -> str:
    dims = {d.key: {"evidence": ["check the plan with EXPLAIN ANALYZE"], "rating": 4} for d in spec.rubric}
    return json.dumps({"answers_question": True, "covered": [True, True, False], "verdict": "good",
                       "scores": dims, "feedback": "Solid."})


class GatedModel:
    """A ChatBackend whose key-point requests wait for ``open`` (a slow model), replying by request kind."""

    model_name = "gated"

    def __init__(self, spec: InterviewSpec) -> None:
        self.spec = spec
        self.open = anyio.Event()
        self.points_asked: list[str] = []
        self.scored = 0

    async def generate(self, request: GenerationRequest) -> str:
        if request.json_schema == points_schema():
            self.points_asked.append(request.messages[1].content)
            await self.open.wait()
            return POINTS
        self.scored += 1
        return _card(self.spec)

    async def stream(self, request: GenerationRequest) -> AsyncIterator[str]:
        yield await self.generate(request)

    async def aclose(self) -> None:
        pass


class Preparing(FakeEvaluator):
    """A FakeEvaluator with ``prepare``, which records the question, then runs ``preparation`` (returns,
    fails or never ends)."""

    def __init__(self, preparation: str) -> None:
        super().__init__()
        self.preparation = preparation
        self.prepared: list[Question] = []
        self.cancelled = False

    async def prepare(self, spec: InterviewSpec, question: Question) -> None:
        self.prepared.append(question)
        if self.preparation == "return":
            return
        if self.preparation == "fail":
            raise RuntimeError("the model is gone")
        try:
            await anyio.sleep_forever()
        finally:
            self.cancelled = True


async def test_the_key_points_are_found_when_a_question_is_asked_and_nobody_waits(settings: Settings) -> None:
    spec = InterviewSpec(role="backend", question_count=2, max_follow_ups=0)
    model = GatedModel(spec)
    evaluator = LLMEvaluator(model)
    assert isinstance(evaluator, PreparingEvaluator)
    async with Engine(settings, question_source=FakeQuestionSource(), evaluator=evaluator) as engine:
        with anyio.fail_after(5):  # the key points never come while the gate is shut: nothing waits for them
            session = await engine.start(spec)
            first, second = session.questions
            await anyio.wait_all_tasks_blocked()
            assert len(model.points_asked) == 1 and first.text in model.points_asked[0]
            assert await session.answer(first.id, ANSWER) == second  # its evaluation waits for the points
            await anyio.wait_all_tasks_blocked()
            assert len(model.points_asked) == 2 and second.text in model.points_asked[1]
            assert model.scored == 0
            model.open.set()
            assert await session.answer(second.id, ANSWER) is None
            await session.finish()
            report = await session.report(timeout=5)
    assert len(model.points_asked) == 2 and model.scored == 2  # each question's points found once
    assert all(r.evaluation and r.evaluation.status == "done" for r in report.questions)


async def test_every_question_asked_is_prepared_for_follow_ups_too(settings: Settings) -> None:
    evaluator, source = Preparing("return"), FakeQuestionSource()
    source.enqueue_follow_up("Which index exactly?")
    async with Engine(settings, question_source=source, evaluator=evaluator) as engine:
        session = await engine.start({"role": "backend", "question_count": 2, "max_follow_ups": 1})
        while (question := session.current_question) is not None:
            await session.answer(question.id, ANSWER)
        await anyio.wait_all_tasks_blocked()
        asked = session.questions
    assert [q.kind for q in asked] == ["generated", "follow_up", "generated"]
    assert [q.id for q in evaluator.prepared] == [q.id for q in asked]


async def test_a_failed_preparation_is_logged_and_the_interview_goes_on(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    evaluator = Preparing("fail")
    async with Engine(settings, question_source=FakeQuestionSource(), evaluator=evaluator) as engine:
        session = await engine.start({"role": "backend", "question_count": 1, "max_follow_ups": 0})
        await anyio.wait_all_tasks_blocked()
        await session.answer(session.questions[0].id, ANSWER)
        await session.finish()
        report = await session.report(timeout=5)
    assert report.overall_score == 70
    assert "could not prepare for question" in caplog.text and "the model is gone" in caplog.text
    assert any(r.levelno == logging.WARNING for r in caplog.records)


async def test_preparations_still_running_are_cancelled_when_the_engine_closes(settings: Settings) -> None:
    evaluator = Preparing("forever")
    with anyio.fail_after(5):
        async with Engine(settings, question_source=FakeQuestionSource(), evaluator=evaluator) as engine:
            await engine.start({"role": "backend", "question_count": 2})
            await anyio.wait_all_tasks_blocked()
            assert not evaluator.cancelled
    assert evaluator.cancelled


async def test_an_evaluator_without_prepare_is_not_asked(settings: Settings) -> None:
    async with Engine(settings, question_source=FakeQuestionSource(), evaluator=FakeEvaluator()) as engine:
        assert engine.context.preparations is None


class GatedEvaluation:
    """An LLMEvaluator on a GatedModel, one question and one answer to it, and the cards it returned."""

    def __init__(self) -> None:
        self.spec = InterviewSpec(role="backend")
        self.model = GatedModel(self.spec)
        self.evaluator = LLMEvaluator(self.model)
        self.question = Question(interview_id="i", ordinal=0, kind="generated", text="How do you index a table?")
        self.request = EvaluationRequest(spec=self.spec, question=self.question, answer=Answer(
            interview_id="i", question_id=self.question.id, text=ANSWER))
        self.cards: list[ScoreCard] = []

    async def prepare(self) -> None:
        await self.evaluator.prepare(self.spec, self.question)

    async def evaluate(self) -> None:
        self.cards.append(await self.evaluator.evaluate(self.request))


async def test_prepare_and_evaluate_at_once_find_the_key_points_once() -> None:
    gated = GatedEvaluation()
    async with anyio.create_task_group() as tg:
        tg.start_soon(gated.prepare)
        tg.start_soon(gated.evaluate)
        await anyio.wait_all_tasks_blocked()
        gated.model.open.set()
    assert len(gated.model.points_asked) == 1 and len(gated.cards) == 1


async def test_a_cancelled_preparation_leaves_the_evaluation_to_find_the_points() -> None:
    gated = GatedEvaluation()
    async with anyio.create_task_group() as tg:
        async with anyio.create_task_group() as preparing:
            preparing.start_soon(gated.prepare)
            tg.start_soon(gated.evaluate)
            await anyio.wait_all_tasks_blocked()
            preparing.cancel_scope.cancel()
        await anyio.wait_all_tasks_blocked()
        gated.model.open.set()
    assert len(gated.model.points_asked) == 2 and len(gated.cards) == 1
