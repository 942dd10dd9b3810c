"""Shared fixtures: the anyio backend and the real Postgres and Redis servers.

With INTERVIEW_ENGINE_REQUIRE_SERVICES=1 (set by the README's test command and CI) a missing server
fails the tests that need it; otherwise they are skipped.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

POSTGRES_ADMIN_URL = os.environ.get("INTERVIEW_ENGINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("INTERVIEW_ENGINE_TEST_REDIS", "redis://127.0.0.1:6379/15")
REDIS_DATABASES = 16


def redis_url_for_worker(url: str = REDIS_URL) -> str:
    """The test Redis URL with a database of its own for each pytest-xdist worker (gw0 keeps the
    configured one, gw1 the one below it, …), so parallel workers never flush each other's data."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    base, _, db = url.rpartition("/")
    return f"{base}/{(int(db or 0) - index) % REDIS_DATABASES}"
REQUIRE_SERVICES = os.environ.get("INTERVIEW_ENGINE_REQUIRE_SERVICES") == "1"


def service_missing(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({exc})"
    if REQUIRE_SERVICES:
        pytest.fail(message + "; INTERVIEW_ENGINE_REQUIRE_SERVICES=1 makes this a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _pg_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty Postgres database for one test, as a SQLAlchemy asyncpg URL; dropped afterwards."""
    name = f"ie_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_execute(POSTGRES_ADMIN_URL, f'CREATE DATABASE "{name}"'))
    except (OSError, ImportError) as exc:
        service_missing("Postgres at " + POSTGRES_ADMIN_URL, exc)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    yield f"{base}/{name}"
    asyncio.run(_pg_execute(POSTGRES_ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis database (one per xdist worker), flushed before and after the test."""
    import redis

    url = redis_url_for_worker()
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError as exc:
        service_missing("Redis at " + url, exc)
    yield url
    client.flushdb()
    client.close()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Captured output may hold text that is not valid Unicode (tests feed lone surrogates to the engine, and
    its logs quote them); pytest-xdist cannot send such text between processes, so show it escaped."""
    report.sections = [(title, body.encode("utf-8", "backslashreplace").decode("utf-8"))
                       for title, body in report.sections]
