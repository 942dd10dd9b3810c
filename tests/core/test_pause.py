"""Pausing is a state held in the store: no answer is recorded while paused, whichever session or process
tries; finish still works; pause and unpause are idempotent."""

from __future__ import annotations

import pytest

from interview_engine import Engine, IllegalTransition
from interview_engine.jobs import evaluation_job
from interview_engine.models import Answer

pytestmark = pytest.mark.anyio

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."


async def test_a_paused_interview_takes_no_answers(engine: Engine) -> None:
    session = await engine.start({"role": "backend", "question_count": 2})
    question = session.current_question
    assert question is not None
    await session.pause()
    await session.pause()
    assert session.state == "paused" and session.current_question == question
    with pytest.raises(IllegalTransition, match="paused"):
        await session.answer(question.id, ANSWER)
    assert await engine.store.list_answers(session.id) == []
    await session.unpause()
    await session.unpause()
    assert session.state == "in_progress"
    assert await session.answer(question.id, ANSWER) is not None


async def test_the_store_refuses_answers_while_paused(engine: Engine) -> None:
    session = await engine.start({"role": "backend", "question_count": 2})
    question = session.current_question
    assert question is not None
    await session.pause()
    answer = Answer(interview_id=session.id, question_id=question.id, text=ANSWER)
    with pytest.raises(IllegalTransition, match="paused"):
        await engine.store.record_answer(answer, evaluation_job(answer.id))
    assert await engine.store.list_answers(session.id) == []


async def test_pause_is_seen_by_every_session(db_engine: Engine) -> None:
    first = await db_engine.start({"role": "backend", "question_count": 2})
    second = await db_engine.resume(first.id)
    question = first.current_question
    assert question is not None
    await first.pause()
    with pytest.raises(IllegalTransition, match="paused"):
        await second.answer(question.id, ANSWER)  # its own view said in progress
    assert second.state == "paused"
    assert [s.id for s in (await db_engine.list_interviews(state="paused")).items] == [first.id]
    await second.unpause()
    assert await first.answer(question.id, ANSWER) is not None  # its own view said paused
    assert [a.text for a in await db_engine.store.list_answers(first.id)] == [ANSWER]


async def test_finish_works_while_paused_and_ends_pausing(engine: Engine) -> None:
    session = await engine.start({"role": "backend", "question_count": 2})
    await session.pause()
    await session.finish()
    assert session.state == "finished" and session.finished
    assert (await session.report(timeout=10)).interview_id == session.id
    with pytest.raises(IllegalTransition, match="finished"):
        await session.pause()
    with pytest.raises(IllegalTransition, match="finished"):
        await session.unpause()
