"""The store, not a Session in memory, decides the order of events: sessions and engines (each with its
own database connections, as separate processes have) racing on one interview, on SQLite and Postgres,
keep one order; the loser gets a typed error and its session reloads instead of wedging."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from interview_engine import (
    AnswerAlreadyRecorded,
    Engine,
    IllegalTransition,
    Session,
    Settings,
    WrongQuestion,
)
from interview_engine.models import FollowUpRequest, QuestionDraft
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

pytestmark = pytest.mark.anyio

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."
REFUSED = (AnswerAlreadyRecorded, WrongQuestion, IllegalTransition)


class GatedSource(FakeQuestionSource):
    """Holds the first follow-up decision until ``gate`` is set, so a test can act in between."""

    def __init__(self) -> None:
        super().__init__()
        self.deciding = anyio.Event()
        self.gate = anyio.Event()

    async def follow_up(self, request: FollowUpRequest) -> QuestionDraft | None:
        if not self.deciding.is_set():
            self.deciding.set()
            await self.gate.wait()
        return await super().follow_up(request)


async def _assert_in_order(engine: Engine, interview_id: str) -> None:
    """Answers were recorded in question order, and the answered questions are a prefix of that order."""
    questions = await engine.store.list_questions(interview_id)
    answers = await engine.store.list_answers(interview_id)  # created_at is set before the transaction:
    # two engines' answers may commit in the other order, so the check is on the set, not on the clock
    assert sorted(a.question_id for a in answers) == sorted(q.id for q in questions[: len(answers)])


async def test_a_second_session_cannot_answer_after_finish(db_engine: Engine) -> None:
    first = await db_engine.start({"role": "backend", "question_count": 2})
    second = await db_engine.resume(first.id)
    question = second.current_question
    assert question is not None
    await first.finish()
    with pytest.raises(IllegalTransition, match="finished"):
        await second.answer(question.id, ANSWER)
    assert second.finished and second.current_question is None
    assert await db_engine.store.list_answers(first.id) == []
    report = await second.report(timeout=10)
    assert [r.answer for r in report.questions] == [None, None]


async def test_refresh_and_report_catch_up_with_another_session(db_engine: Engine) -> None:
    first = await db_engine.start({"role": "backend", "question_count": 2})
    second = await db_engine.resume(first.id)
    question = first.current_question
    assert question is not None
    nxt = await first.answer(question.id, ANSWER)
    assert second.current_question == question  # stale until it looks again
    await second.refresh()
    assert second.current_question == nxt and [a.id for a in second.answers] == [a.id for a in first.answers]
    await first.finish()
    assert (await second.report(timeout=10)).interview_id == first.id  # report() sees the finish itself


async def test_a_follow_up_never_lands_behind_a_later_answer(database_url: str) -> None:
    source = GatedSource()
    source.enqueue_follow_up(None)  # the second session's decision (made while the first one's waits)
    source.enqueue_follow_up("Could you give an example?")  # the first session's
    settings = Settings(database_url=database_url, plugins="", follow_up_budget_s=10)
    async with Engine(settings, question_source=source, evaluator=FakeEvaluator()) as engine:
        first = await engine.start({"role": "backend", "question_count": 3, "max_follow_ups": 1})
        second = await engine.resume(first.id)
        q0, q1, q2 = first.questions
        returned: list[object] = []

        async def answer_first() -> None:
            returned.append(await first.answer(q0.id, ANSWER))

        async with anyio.create_task_group() as tg:
            tg.start_soon(answer_first)
            await source.deciding.wait()  # q0 is answered; the follow-up is still being decided
            with pytest.raises(AnswerAlreadyRecorded):
                await second.answer(q0.id, ANSWER)  # its view was stale ...
            assert second.current_question == q1  # ... and it reloaded rather than wedging
            await second.answer(q1.id, ANSWER)
            source.gate.set()
        assert returned == [q2]  # the follow-up would sit behind q1's answer: not stored, not asked
        assert first.current_question == second.current_question == q2
        assert [q.id for q in await engine.store.list_questions(first.id)] == [q0.id, q1.id, q2.id]
        await first.answer(q2.id, ANSWER)
        await second.finish()
        report = await first.report(timeout=10)
        assert [r.answer is not None for r in report.questions] == [True, True, True]
        await _assert_in_order(engine, first.id)


async def _drive(session: Session, tag: str, recorded: list[str]) -> None:
    """Answer whatever this session believes is current until nothing is left; refusals are expected."""
    while (question := session.current_question) is not None:
        try:
            await session.answer(question.id, f"{tag}: {ANSWER}")
            recorded.append(question.id)
        except REFUSED:
            pass  # another engine got there first; the session has reloaded its view


@pytest.fixture
async def two_engines(database_url: str) -> AsyncIterator[tuple[Engine, Engine]]:
    settings = Settings(database_url=database_url, plugins="", follow_up_budget_s=10)
    sources = [FakeQuestionSource(delay=0.01), FakeQuestionSource(delay=0.01)]
    for source in sources:
        for _ in range(8):
            source.enqueue_follow_up("Could you give an example?")
    async with Engine(settings, question_source=sources[0], evaluator=FakeEvaluator()) as a, \
            Engine(settings, question_source=sources[1], evaluator=FakeEvaluator()) as b:
        yield a, b


async def test_two_engines_racing_on_one_interview_keep_one_order(two_engines: tuple[Engine, Engine]) -> None:
    a, b = two_engines
    first = await a.start({"role": "backend", "question_count": 4, "max_follow_ups": 1})
    second = await b.resume(first.id)
    recorded: list[str] = []
    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            tg.start_soon(_drive, first, "a", recorded)
            tg.start_soon(_drive, second, "b", recorded)
    questions = await a.store.list_questions(first.id)
    assert sorted(recorded) == sorted(q.id for q in questions)  # every question answered exactly once
    per_root = [q.ordinal for q in questions if q.depth > 0]
    assert len(per_root) == len(set(per_root))  # within max_follow_ups
    await _assert_in_order(a, first.id)
    await first.finish()
    report = await second.report(timeout=10)
    assert all(r.answer is not None for r in report.questions)
