"""The SQL store on SQLite and on the real Postgres: the store conformance suite on both, plus what is
particular to SQL (migrations, URLs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from interview_engine import Engine, Settings
from interview_engine.errors import ConfigurationError
from interview_engine.listing import InterviewQuery
from interview_engine.models import Interview, InterviewSpec
from interview_engine.store import tables as t
from interview_engine.store.base import LoadingStore, Store
from interview_engine.store.sql import SQLStore
from interview_engine.store.tables import metadata
from interview_engine.testing import FakeEvaluator, FakeQuestionSource, sit_interview
from interview_engine.testing.conformance import StoreConformance


class TestSQLStore(StoreConformance):
    @pytest.fixture
    async def store(self, database_url: str) -> AsyncIterator[SQLStore]:
        s = SQLStore(database_url)
        await s.open()
        yield s
        await s.aclose()

    async def test_migrations_match_the_tables(self, store: SQLStore) -> None:
        async with store.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), metadata))
        assert diff == []

    async def test_migrating_twice_is_harmless(self, store: SQLStore) -> None:
        await store.migrate()
        async with store.engine.connect() as conn:
            version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == "0004"


@pytest.mark.anyio
async def test_bad_urls_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        SQLStore("not a url")
    with pytest.raises(ConfigurationError, match="cannot"):
        await SQLStore("mysql+nosuchdriver://localhost/x").open()
    with pytest.raises(ConfigurationError, match="cannot connect"):
        await SQLStore("postgresql+asyncpg://postgres@127.0.0.1:1/none").open()


@pytest.mark.anyio
async def test_upgrading_keeps_the_scores_of_existing_reports(database_url: str) -> None:
    """Migration 0004 copies each stored report's overall score to its interview, where listings filter."""
    store = SQLStore(database_url, auto_migrate=False)
    await store.open()
    try:
        await store.migrate("0002")
        interview = Interview(spec=InterviewSpec(role="backend"), tenant_id="acme")
        async with store.engine.begin() as conn:
            await conn.execute(sa.insert(t.tenants).values(id="acme", name="acme", created_at=interview.created_at))
            await conn.execute(sa.insert(t.interviews).values(
                id=interview.id, tenant_id="acme", spec=interview.spec.model_dump(mode="json"), state="finished",
                created_at=interview.created_at))
            await conn.execute(sa.insert(t.reports).values(
                interview_id=interview.id, body={"overall_score": 61.5}, created_at=interview.created_at))
        await store.migrate()
        page = await store.list_interviews(InterviewQuery(tenant="acme", min_score=60))
        assert [(s.id, s.overall_score) for s in page.items] == [(interview.id, 61.5)]
    finally:
        await store.aclose()


class StoreWithoutOneCallLoad:
    """A store written before ``LoadingStore``: every Store method, but no ``load_interview``."""

    def __init__(self, inner: SQLStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "load_interview":
            raise AttributeError(name)
        return getattr(self._inner, name)


@pytest.mark.anyio
async def test_a_store_without_the_optional_one_call_load_still_runs_and_resumes_interviews(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}"
    store = StoreWithoutOneCallLoad(SQLStore(url))
    assert isinstance(store, Store) and not isinstance(store, LoadingStore)
    settings = Settings(database_url=url, plugins="", job_shutdown_grace_s=0)
    async with Engine(settings, store=store, question_source=FakeQuestionSource(),  # type: ignore[arg-type]
                      evaluator=FakeEvaluator()) as engine:
        session = await sit_interview(engine, {"role": "backend", "question_count": 2}, finish=False, answers=1)
        resumed = await engine.resume(session.id)
        assert [a.id for a in resumed.answers] == [a.id for a in session.answers]
        assert resumed.current_question == session.current_question is not None
        await resumed.answer(resumed.current_question.id, "I would profile the query first, then add the index.")
        await resumed.finish()
        report = await resumed.report(timeout=30)
        assert len(report.questions) == 2 and report.overall_score is not None
