"""Engine.delete_interview removes every row of one interview, on SQLite and Postgres, and an evaluation
job still in flight for it ends quietly without bringing anything back."""

from __future__ import annotations

import logging

import anyio
import pytest
import sqlalchemy as sa

from interview_engine import Engine, InterviewNotFound, Settings
from interview_engine.jobs import evaluation_job
from interview_engine.models import EmotionSample, EvaluationRequest, ScoreCard
from interview_engine.store import tables as t
from interview_engine.store.sql import SQLStore
from interview_engine.testing import FakeEvaluator, FakeQuestionSource, reading, sit_interview

pytestmark = pytest.mark.anyio

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."
SPEC = {"role": "backend", "question_count": 2, "emotion_analysis": True}


class GatedEvaluator(FakeEvaluator):
    """Holds every evaluation until ``gate`` is set, so a test can act while a job is in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = anyio.Event()
        self.started = anyio.Event()

    async def evaluate(self, request: EvaluationRequest) -> ScoreCard:
        self.started.set()
        await self.gate.wait()
        return await super().evaluate(request)


async def _rows(store: SQLStore, interview_id: str) -> dict[str, int]:
    """How many rows of each table belong to the interview."""
    counts: dict[str, int] = {}
    async with store.engine.connect() as conn:
        for table in (t.questions, t.answers, t.evaluations, t.emotion_samples, t.reports):
            query = sa.select(sa.func.count()).select_from(table).where(table.c.interview_id == interview_id)
            counts[table.name] = (await conn.execute(query)).scalar_one()
        counts["interviews"] = (await conn.execute(
            sa.select(sa.func.count()).select_from(t.interviews).where(t.interviews.c.id == interview_id))).scalar_one()
    return counts


async def _job_keys(store: SQLStore) -> set[str]:
    async with store.engine.connect() as conn:
        return set((await conn.execute(sa.select(t.jobs.c.key))).scalars())


async def _evaluation_keys(engine: Engine, interview_id: str) -> set[str]:
    return {evaluation_job(a.id).key for a in await engine.store.list_answers(interview_id)}


async def _complete(engine: Engine) -> str:
    session = await sit_interview(engine, SPEC, finish=False)
    await session.record_emotions([EmotionSample.from_reading(reading(), interview_id=session.id, t=0.0)])
    await session.finish()
    await session.report(timeout=10)
    return session.id


async def test_delete_removes_every_row_of_that_interview_only(db_engine: Engine) -> None:
    store = db_engine.store
    assert isinstance(store, SQLStore)
    doomed, kept = await _complete(db_engine), await _complete(db_engine)
    before = await _rows(store, kept)
    assert all(n > 0 for n in before.values())
    doomed_jobs, kept_jobs = await _evaluation_keys(db_engine, doomed), await _evaluation_keys(db_engine, kept)
    assert await _job_keys(store) == doomed_jobs | kept_jobs and len(doomed_jobs) == 2
    await db_engine.delete_interview(doomed)
    assert set((await _rows(store, doomed)).values()) == {0}
    assert await _job_keys(store) == kept_jobs
    assert await _rows(store, kept) == before
    with pytest.raises(InterviewNotFound):
        await db_engine.resume(doomed)
    with pytest.raises(InterviewNotFound):
        await db_engine.delete_interview(doomed)
    assert [s.id for s in (await db_engine.list_interviews()).items] == [kept]


async def test_jobs_of_a_deleted_interview_end_quietly(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    evaluator = GatedEvaluator()
    settings = Settings(database_url=database_url, plugins="", job_concurrency=1)
    async with Engine(settings, question_source=FakeQuestionSource(), evaluator=evaluator) as engine:
        session = await sit_interview(engine, {"role": "backend", "question_count": 2}, finish=False)
        await evaluator.started.wait()
        await engine.delete_interview(session.id)
        with caplog.at_level(logging.WARNING, logger="interview_engine"):
            evaluator.gate.set()
            await engine.jobs.drain(10)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
        store = engine.store
        assert isinstance(store, SQLStore)
        assert set((await _rows(store, session.id)).values()) == {0}
        assert await _job_keys(store) == set()
        assert (await engine.list_interviews()).items == []
