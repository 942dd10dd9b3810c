"""Tenants are isolated by the store, on SQLite and on the real Postgres: another tenant's interview is
indistinguishable from a missing one, and bad ids or tenants are typed errors, never database errors."""

from __future__ import annotations

from typing import Any

import pytest

from interview_engine import (
    Engine,
    InterviewNotFound,
    InvalidTenant,
)
from interview_engine.jobs import evaluation_job
from interview_engine.models import Answer
from interview_engine.testing import sit_interview

pytestmark = pytest.mark.anyio

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."
MISSING = "0" * 32


async def _not_found_message(call: Any) -> str:
    with pytest.raises(InterviewNotFound) as caught:
        await call
    return str(caught.value)


async def test_another_tenants_interview_looks_missing(db_engine: Engine) -> None:
    interview_id = (await sit_interview(db_engine, {"role": "backend", "question_count": 2}, tenant="acme")).id
    foreign = await _not_found_message(db_engine.resume(interview_id, tenant="globex"))
    missing = await _not_found_message(db_engine.resume(MISSING, tenant="globex"))
    assert foreign == missing.replace(MISSING, interview_id)
    assert await _not_found_message(db_engine.delete_interview(interview_id, tenant="globex")) == foreign
    assert (await db_engine.list_interviews(tenant="globex")).items == []
    assert [s.id for s in (await db_engine.list_interviews(tenant="acme")).items] == [interview_id]
    assert (await db_engine.resume(interview_id)).id == interview_id  # None is settings.tenant ("acme")


async def test_another_tenant_cannot_answer_or_read_through_the_store(db_engine: Engine) -> None:
    session = await db_engine.start({"role": "backend", "question_count": 2}, tenant="acme")
    question = session.current_question
    assert question is not None
    store = db_engine.store
    answer = Answer(interview_id=session.id, question_id=question.id, text=ANSWER)
    with pytest.raises(InterviewNotFound):
        await store.record_answer(answer, evaluation_job(answer.id), tenant="globex")
    with pytest.raises(InterviewNotFound):
        await store.get_interview(session.id, tenant="globex")
    with pytest.raises(InterviewNotFound):
        await store.finish_interview(session.id, session.interview.created_at, tenant="globex")
    assert await store.list_questions(session.id, tenant="globex") == []
    assert await store.list_answers(session.id) == []
    assert await store.pending_jobs() == []
    await session.answer(question.id, ANSWER)
    await session.finish()
    await session.report(timeout=10)
    assert await store.get_report(session.id, tenant="globex") is None
    assert await store.list_answers(session.id, tenant="globex") == []
    assert await store.list_evaluations(session.id, tenant="globex") == []
    assert await store.get_report(session.id, tenant="acme") is not None
    assert (await store.get_interview(session.id)).state == "finished"


BAD_IDS: list[object] = ["", "x" * 10_000, "a\x00b", "\ud800", 42, None, b"abc", ["x"]]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
async def test_bad_interview_ids_are_not_found(db_engine: Engine, bad: object) -> None:
    with pytest.raises(InterviewNotFound) as caught:
        await db_engine.resume(bad)  # type: ignore[arg-type]
    assert len(str(caught.value)) < 200
    with pytest.raises(InterviewNotFound):
        await db_engine.delete_interview(bad)  # type: ignore[arg-type]
    with pytest.raises(InterviewNotFound):
        await db_engine.store.get_interview(bad)


BAD_TENANTS: list[object] = ["", "t" * 65, "a\x00b", "\ud800", " acme", "acme\n", 42, b"acme"]


@pytest.mark.parametrize("bad", BAD_TENANTS, ids=repr)
async def test_bad_tenants_are_typed_errors(db_engine: Engine, bad: object) -> None:
    spec = {"role": "backend", "question_count": 1}
    with pytest.raises(InvalidTenant):
        await db_engine.start(spec, tenant=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidTenant):
        await db_engine.resume(MISSING, tenant=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidTenant):
        await db_engine.list_interviews(tenant=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidTenant):
        await db_engine.delete_interview(MISSING, tenant=bad)  # type: ignore[arg-type]
    assert (await db_engine.list_interviews()).items == []


def test_a_bad_tenant_setting_is_a_configuration_error() -> None:
    from interview_engine import ConfigurationError, load_settings

    with pytest.raises(ConfigurationError, match="tenant"):
        load_settings(tenant="a\x00b")
