"""The server's own tables live beside the SDK's, in the same database, under their own Alembic history
(version table ``server_alembic_version``), so the SDK and the server migrate independently."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from interview_engine import ConfigurationError

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "server_alembic_version"
MIGRATION_LOCK_KEY = 0x1E5E_0002
"""Postgres advisory lock held while the server's schema is migrated."""

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
"""Every server table is defined on this MetaData; the migrations create them."""


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend: SQLite keeps no time zone, so one is put back on read."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a naive datetime was given to a server table")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def run_server_migrations(sync_connection: Connection, revision: str = "heads") -> None:
    """Upgrade the server's schema on an open connection to ``revision`` with Alembic (default: every
    head, so parts whose migrations branch from the same base each get theirs)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = sync_connection
    command.upgrade(config, revision)


def dialect_insert(dialect: str) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing`` and ``on_conflict_do_update``
    (the server runs on Postgres and SQLite only)."""
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite_dialect.insert
    raise ConfigurationError(f"the server supports Postgres and SQLite, not {dialect}")


@functools.cache
def replacing_insert(dialect: str, table: sa.Table, key: str) -> sa.Insert:
    """An insert that replaces the row with the same ``key`` (every other column takes the new values):
    built once per dialect and table."""
    insert = dialect_insert(dialect)(table)
    replace: sa.Insert = insert.on_conflict_do_update(
        index_elements=[table.c[key]], set_={c.name: insert.excluded[c.name] for c in table.c if c.name != key})
    return replace


def reads(db: AsyncEngine) -> AsyncEngine:
    """The engine for single-statement reads. On Postgres it autocommits, so a read is one round trip (no
    BEGIN and COMMIT around it); the pool is shared with ``db``. SQLite begins no transaction for a read
    anyway (and switching its isolation level costs a thread hop each way), so there it is ``db``."""
    if db.dialect.name == "sqlite":
        return db
    return db.execution_options(isolation_level="AUTOCOMMIT")


async def open_database(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine on the SDK's database for the server's tables, migrated to the latest revision.

    SQLite (a file; an in-memory database could not be shared with the SDK's store) gets WAL mode, a busy
    timeout and one connection, like the SDK's store; Postgres gets a pool of ``pool_size``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"invalid database URL: {exc}") from None
    # No pre-ping and no rollback when a connection goes back to the pool: each would be a round trip per
    # use. Every use ends its own transaction (engine.begin() commits or rolls back; a connect() block
    # rolls back on close), and a dropped connection is invalidated when it fails.
    kwargs: dict[str, object] = {"pool_reset_on_return": None}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        if parsed.database in (None, "", ":memory:"):
            raise ConfigurationError("the server needs a database file or server, not an in-memory SQLite database")
        kwargs.update(pool_size=1, max_overflow=0, connect_args={"check_same_thread": False})
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    try:
        engine = create_async_engine(parsed, **kwargs)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise ConfigurationError(f"cannot use the database URL: {exc}") from None
    if sqlite:
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    try:
        async with engine.begin() as conn:
            if not sqlite:  # servers starting together migrate one after another
                await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await conn.run_sync(run_server_migrations)
    except BaseException:
        await engine.dispose()
        raise
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
