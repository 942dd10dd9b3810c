"""The SQL store on SQLite and on the real Postgres: the store conformance suite on both, plus what is
particular to SQL (migrations, URLs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from interview_engine.errors import ConfigurationError
from interview_engine.store.sql import SQLStore
from interview_engine.store.tables import metadata
from interview_engine.testing.conformance import StoreConformance


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")


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
        assert version == "0003"


@pytest.mark.anyio
async def test_bad_urls_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError):
        SQLStore("not a url")
    with pytest.raises(ConfigurationError, match="cannot"):
        await SQLStore("mysql+nosuchdriver://localhost/x").open()
    with pytest.raises(ConfigurationError, match="cannot connect"):
        await SQLStore("postgresql+asyncpg://postgres@127.0.0.1:1/none").open()
