"""The SQL store on SQLite and on the real Postgres: the same behaviour on both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from interview_engine.errors import AnswerAlreadyRecorded, ConfigurationError, InterviewNotFound
from interview_engine.jobs import evaluation_job
from interview_engine.models import (
    Answer,
    DimensionScore,
    EmotionSample,
    Evaluation,
    Interview,
    InterviewSpec,
    Question,
    Report,
    TranscriptSegment,
)
from interview_engine.store.sql import SQLStore
from interview_engine.store.tables import metadata

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SQLStore]:
    s = SQLStore(database_url)
    await s.open()
    yield s
    await s.aclose()


def _interview() -> tuple[Interview, list[Question]]:
    interview = Interview(spec=InterviewSpec(role="backend", question_count=2), tenant_id="acme")
    questions = [
        Question(interview_id=interview.id, ordinal=1, kind="generated", text="Second?"),
        Question(interview_id=interview.id, ordinal=0, kind="custom", text="First?"),
    ]
    return interview, questions


async def test_interview_round_trip(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    loaded = await store.get_interview(interview.id)
    assert loaded == interview
    assert loaded.created_at.tzinfo is not None
    assert [q.text for q in await store.list_questions(interview.id)] == ["First?", "Second?"]


async def test_missing_interview(store: SQLStore) -> None:
    with pytest.raises(InterviewNotFound):
        await store.get_interview("nope")


async def test_follow_up_sorts_under_its_root(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    follow = Question(interview_id=interview.id, ordinal=0, depth=1, kind="follow_up", text="Example?",
                      parent_id=questions[1].id)
    await store.add_question(follow)
    assert [q.text for q in await store.list_questions(interview.id)] == ["First?", "Example?", "Second?"]


async def test_answer_with_pending_evaluation_and_job(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    answer = Answer(interview_id=interview.id, question_id=questions[0].id, text="한국어 답변 <b>ok</b>",
                    source="speech", duration_s=3.5,
                    segments=[TranscriptSegment(text="한국어", start=0, end=1.2, confidence=0.8)])
    job = evaluation_job(answer.id)
    await store.record_answer(answer, job)
    assert await store.get_answer(answer.id) == answer
    assert (await store.get_evaluation(answer.id)).status == "pending"  # type: ignore[union-attr]
    assert [j.key for j in await store.pending_jobs()] == [job.key]


async def test_second_answer_to_a_question_is_refused_and_changes_nothing(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    first = Answer(interview_id=interview.id, question_id=questions[0].id, text="first")
    await store.record_answer(first, evaluation_job(first.id))
    second = Answer(interview_id=interview.id, question_id=questions[0].id, text="second")
    with pytest.raises(AnswerAlreadyRecorded):
        await store.record_answer(second, evaluation_job(second.id))
    assert [a.text for a in await store.list_answers(interview.id)] == ["first"]
    assert len(await store.pending_jobs()) == 1
    assert len(await store.list_evaluations(interview.id)) == 1


async def test_answer_without_evaluator_has_no_evaluation(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    answer = Answer(interview_id=interview.id, question_id=questions[0].id, text="unscored")
    await store.record_answer(answer, None)
    assert await store.get_evaluation(answer.id) is None
    assert await store.pending_jobs() == []


async def test_settling_is_first_wins(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    answer = Answer(interview_id=interview.id, question_id=questions[0].id, text="answer")
    await store.record_answer(answer, evaluation_job(answer.id))
    base = {"answer_id": answer.id, "interview_id": interview.id, "question_id": questions[0].id}
    done = Evaluation(**base, status="done", scores=[DimensionScore(dimension="x", score=80, evidence=["answer"])])
    assert await store.settle_evaluation(done) is True
    assert await store.settle_evaluation(Evaluation(**base, status="failed", reason="late")) is False
    stored = await store.get_evaluation(answer.id)
    assert stored is not None and stored.status == "done" and stored.scores[0].score == 80


async def test_finish_is_idempotent_and_report_stored_once(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    when = datetime(2026, 1, 2, tzinfo=UTC)
    finished = await store.finish_interview(interview.id, when)
    again = await store.finish_interview(interview.id, datetime(2027, 1, 1, tzinfo=UTC))
    assert finished.state == again.state == "finished" and again.finished_at == when
    report = Report(interview_id=interview.id, role="backend", level="mid", language="en",
                    evaluator_configured=False, overall_score=None, dimensions=[], questions=[], strengths=[],
                    improvements=[], notes=["n"])
    assert await store.save_report(report) is True
    assert await store.save_report(report.model_copy(update={"notes": ["other"]})) is False
    assert await store.get_report(interview.id) == report


async def test_emotion_samples_in_time_order(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    samples = [EmotionSample(interview_id=interview.id, t=t, face_count=n) for t, n in ((4.0, 0), (2.0, 1))]
    await store.add_emotion_samples(samples)
    assert [s.t for s in await store.list_emotion_samples(interview.id)] == [2.0, 4.0]


async def test_jobs_finish(store: SQLStore) -> None:
    interview, questions = _interview()
    await store.create_interview(interview, questions)
    a, b = (Answer(interview_id=interview.id, question_id=q.id, text="x") for q in questions)
    await store.record_answer(a, evaluation_job(a.id))
    await store.record_answer(b, evaluation_job(b.id))
    await store.finish_job(evaluation_job(a.id).key)
    await store.finish_job(evaluation_job(b.id).key, error="boom")
    assert await store.pending_jobs() == []


async def test_migrations_match_the_tables(store: SQLStore) -> None:
    async with store.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
    assert diff == []


async def test_migrating_twice_is_harmless(store: SQLStore) -> None:
    await store.migrate()
    async with store.engine.connect() as conn:
        version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
    assert version == "0001"


async def test_bad_urls_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        SQLStore("not a url")
    with pytest.raises(ConfigurationError, match="cannot"):
        await SQLStore("mysql+nosuchdriver://localhost/x").open()
    with pytest.raises(ConfigurationError, match="cannot connect"):
        await SQLStore("postgresql+asyncpg://postgres@127.0.0.1:1/none").open()
