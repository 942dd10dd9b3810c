"""Progressive planning and the follow-up budget: the candidate never waits for the model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from interview_engine import Engine, Settings
from interview_engine.models import FollowUpRequest, QuestionDraft, QuestionPlanRequest
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

pytestmark = pytest.mark.anyio

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."


class MeteredPlan(FakeQuestionSource):
    """Plans a question only when the test allows one more (``allowed``), so the plan's pace is scripted."""

    def __init__(self, allowed: int = 0) -> None:
        super().__init__()
        self.allowed = allowed

    async def first_questions(self, request: QuestionPlanRequest) -> AsyncIterator[QuestionDraft]:
        self.plan_requests.append(request)
        for i in range(request.count):
            while self.allowed <= 0:
                await anyio.sleep(0.01)
            self.allowed -= 1
            yield QuestionDraft(text=f"Planned {len(self.plan_requests)}.{i + 1}?", competency="general")


class BrokenPlan(FakeQuestionSource):
    async def first_questions(self, request: QuestionPlanRequest) -> AsyncIterator[QuestionDraft]:
        raise RuntimeError("model not loaded")
        yield  # pragma: no cover


class SlowFollowUps(FakeQuestionSource):
    """Decides every follow-up, but only after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.decision_delay = delay

    async def follow_up(self, request: FollowUpRequest) -> QuestionDraft | None:
        self.follow_up_requests.append(request)
        await anyio.sleep(self.decision_delay)
        return QuestionDraft(text="Could you give an example?")


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {"first_question_budget_s": 0.2, "plan_wait_s": 0.2, "follow_up_budget_s": 0.3,
                              "job_shutdown_grace_s": 0, **overrides}
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}", plugins="", **fields)


async def _kinds(engine: Engine, interview_id: str) -> list[tuple[int, int, str]]:
    return [(q.ordinal, q.depth, q.kind) for q in await engine.store.list_questions(interview_id)]


async def _until(condition: Any, timeout: float = 10) -> None:
    with anyio.fail_after(timeout):
        while not await condition():
            await anyio.sleep(0.02)


async def test_start_returns_the_bank_opener_before_the_plan_exists(tmp_path: Path) -> None:
    source = MeteredPlan()
    async with Engine(_settings(tmp_path), question_source=source, evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "backend", "level": "mid", "question_count": 4})
        [opener] = session.questions
        assert opener.kind == "bank" and session.current_question == opener
        assert await _kinds(engine, session.id) == [(0, 0, "bank")]
        source.allowed = 10
        await engine.jobs.drain(timeout=10)
        await session.refresh()
        assert await _kinds(engine, session.id) == [(0, 0, "bank")] + [(i, 0, "generated") for i in (1, 2, 3)]
        plan_request = source.plan_requests[-1]
        assert plan_request.count == 3 and opener.text in plan_request.avoid


@pytest.mark.parametrize(("ready", "at_start", "planned"), [
    (1, [("generated", "Planned 1.1?"), ("custom", "Why us?")], ["generated", "custom", "generated"]),
    (0, [("custom", "Why us?")], ["custom", "generated", "generated"]),  # the model is not ready: custom opens
])
async def test_the_opener_is_the_models_when_ready_in_time_else_a_custom_question(
    tmp_path: Path, ready: int, at_start: list[tuple[str, str]], planned: list[str]
) -> None:
    source = MeteredPlan(allowed=ready)
    async with Engine(_settings(tmp_path), question_source=source, evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "backend", "question_count": 3, "custom_questions": ["Why us?"]})
        assert [(q.kind, q.text) for q in session.questions] == at_start
        source.allowed = 10
        await engine.jobs.drain(timeout=10)
        assert await _kinds(engine, session.id) == [(i, 0, kind) for i, kind in enumerate(planned)]


async def test_a_candidate_ahead_of_the_plan_gets_a_bank_question_and_the_plan_carries_on(tmp_path: Path) -> None:
    source = MeteredPlan()
    async with Engine(_settings(tmp_path), question_source=source, evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "data engineer", "question_count": 4})
        with anyio.fail_after(5):
            second = await session.answer(session.questions[0].id, ANSWER)
        assert second is not None and (second.ordinal, second.kind) == (1, "bank")
        source.allowed = 10
        await engine.jobs.drain(timeout=10)
        questions = await engine.store.list_questions(session.id)
        assert [(q.ordinal, q.kind) for q in questions] == [(0, "bank"), (1, "bank"), (2, "generated"),
                                                            (3, "generated")]
        assert len({q.text for q in questions}) == 4
        await session.refresh()
        while (question := session.current_question) is not None:
            await session.answer(question.id, ANSWER)
        await session.finish()
        report = await session.report(timeout=10)
        assert "2 of 4 planned questions came from the built-in question bank" in " ".join(report.notes)


async def test_a_failing_plan_falls_back_to_the_bank_and_the_report_says_so(tmp_path: Path) -> None:
    async with Engine(_settings(tmp_path), question_source=BrokenPlan(), evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "backend", "question_count": 3})
        await engine.jobs.drain(timeout=10)
        assert await _kinds(engine, session.id) == [(i, 0, "bank") for i in range(3)]
        await session.refresh()
        while (question := session.current_question) is not None:
            await session.answer(question.id, ANSWER)
        await session.finish()
        report = await session.report(timeout=10)
        assert report.overall_score is not None
        assert any("3 of 3 planned questions came from the built-in question bank" in n for n in report.notes)


async def test_a_plan_cut_short_by_a_crash_resumes_in_the_next_engine(tmp_path: Path) -> None:
    source = MeteredPlan()
    async with Engine(_settings(tmp_path), question_source=source, evaluator=FakeEvaluator()) as first:
        session = await first.start({"role": "backend", "question_count": 4})
        source.allowed = 1
        await _until(lambda: _planned(first, session.id, 2))
    # the planning job was cancelled mid-plan: it stays queued and the next engine resumes it
    resumed = FakeQuestionSource()
    async with Engine(_settings(tmp_path), question_source=resumed, evaluator=FakeEvaluator()) as second:
        await _until(lambda: _planned(second, session.id, 4))
        assert await _kinds(second, session.id) == [(0, 0, "bank")] + [(i, 0, "generated") for i in (1, 2, 3)]
        assert [r.count for r in resumed.plan_requests] == [2]
        await _until(lambda: _job_done(second, f"plan_questions:{session.id}"))


async def _planned(engine: Engine, interview_id: str, count: int) -> bool:
    return len(await engine.store.list_questions(interview_id)) >= count


async def _job_done(engine: Engine, key: str) -> bool:
    job = await engine.store.get_job(key)
    return job is not None and job.status == "done"


async def test_a_follow_up_not_decided_within_its_budget_is_dropped(tmp_path: Path) -> None:
    source = SlowFollowUps(delay=5)
    async with Engine(_settings(tmp_path), question_source=source, evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "backend", "question_count": 2, "max_follow_ups": 1})
        first, second = session.questions
        with anyio.fail_after(3):  # the decision would take 5 s; the budget is 0.3 s
            assert await session.answer(first.id, ANSWER) == second
        assert len(source.follow_up_requests) == 1
        assert await _kinds(engine, session.id) == [(0, 0, "generated"), (1, 0, "generated")]


async def test_a_follow_up_decided_within_its_budget_is_asked(tmp_path: Path) -> None:
    source = SlowFollowUps(delay=0.01)
    async with Engine(_settings(tmp_path, follow_up_budget_s=5), question_source=source,
                      evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "backend", "question_count": 2, "max_follow_ups": 1})
        follow_up = await session.answer(session.questions[0].id, ANSWER)
        assert follow_up is not None and (follow_up.kind, follow_up.text) == ("follow_up", "Could you give an example?")


async def test_an_interview_deleted_mid_plan_ends_its_planning_job_quietly(tmp_path: Path) -> None:
    source = MeteredPlan()
    async with Engine(_settings(tmp_path), question_source=source, evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "backend", "question_count": 3})
        await engine.delete_interview(session.id)
        source.allowed = 10
        await engine.jobs.drain(timeout=10)
        assert await engine.store.pending_jobs() == []
        assert await engine.store.list_questions(session.id) == []


async def test_the_planning_job_stops_generating_once_every_place_is_filled(tmp_path: Path) -> None:
    source = MeteredPlan()
    async with Engine(_settings(tmp_path), question_source=source, evaluator=FakeEvaluator()) as engine:
        session = await engine.start({"role": "backend", "question_count": 2})
        await session.answer(session.questions[0].id, ANSWER)  # the bank fills place 1: the plan is complete
        source.allowed = 10
        await engine.jobs.drain(timeout=10)
        assert source.allowed == 9  # one draft found its place taken; the job asked for no more
        assert await _kinds(engine, session.id) == [(0, 0, "bank"), (1, 0, "bank")]


async def test_a_crash_after_an_answer_ahead_of_the_plan_resumes_with_the_next_place_filled(tmp_path: Path) -> None:
    stalled = MeteredPlan()  # the model never gets to plan: only the bank can fill the next place
    async with Engine(_settings(tmp_path, plan_wait_s=30), question_source=stalled,
                      evaluator=FakeEvaluator()) as first:
        session = await first.start({"role": "backend", "question_count": 3})
        with anyio.move_on_after(0.5):  # the process dies while the answer waits for the plan
            await session.answer(session.questions[0].id, ANSWER)
        assert [(q.ordinal, q.kind) for q in await first.store.list_questions(session.id)] == [(0, "bank")]
    async with Engine(_settings(tmp_path), question_source=MeteredPlan(), evaluator=FakeEvaluator()) as second:
        with anyio.fail_after(5):
            resumed = await second.resume(session.id)
        current = resumed.current_question
        assert current is not None and (current.ordinal, current.kind) == (1, "bank")
        assert await _kinds(second, session.id) == [(0, 0, "bank"), (1, 0, "bank")]
