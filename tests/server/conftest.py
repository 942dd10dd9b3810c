"""Fixtures for the reference server: an app on a fresh SQLite file with instant fake providers, two
tenants with an admin and an API key each, and a TestClient speaking real HTTP semantics to it.

One app per test module (module scope): each module gets its own database; tests inside a module create
their own interviews, so they do not depend on each other's order.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from interview_engine import Engine, Settings
from interview_engine.testing import FakeEvaluator, FakeQuestionSource
from interview_engine_server.app import create_app
from interview_engine_server.bootstrap import TenantCredentials, create_tenant
from interview_engine_server.db import open_database
from interview_engine_server.services import Services
from interview_engine_server.settings import ServerSettings
from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, ServerProcess

# the server's own database, migrated and opened as a server opens it (SQLite: WAL, busy timeout, one connection)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'server.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def any_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    return str(request.getfixturevalue("postgres_url")) if request.param == "postgres" else sqlite_url


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    db = await open_database(sqlite_url)
    yield db
    await db.dispose()


@pytest.fixture
async def pg_db(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    db = await open_database(postgres_url)
    yield db
    await db.dispose()


@pytest.fixture
async def any_db(any_url: str) -> AsyncIterator[AsyncEngine]:
    db = await open_database(any_url)
    yield db
    await db.dispose()

TEST_SECRET = "test-secret-for-the-reference-server-0123456789"
SPEC = {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 3, "max_follow_ups": 0}


def server_settings(**overrides: Any) -> ServerSettings:
    """Settings for tests: a fixed secret, cheap password hashing, limits no test reaches by accident."""
    values: dict[str, Any] = {
        "secret_key": TEST_SECRET, "public_url": "http://testserver", "password_hash_memory_kib": 8,
        "password_hash_time_cost": 1, "password_hash_parallelism": 1, "rate_limit_ip": "100000/minute",
        "rate_limit_api_key": "100000/minute", "rate_limit_candidate": "100000/minute",
        "rate_limit_recruiter": "100000/minute", "rate_limit_login": "1000/minute", "ws_heartbeat_s": 1.0,
    }
    return ServerSettings(**(values | overrides))


def engine_settings(database: Path | str, **overrides: Any) -> Settings:
    """The SDK's settings on ``database``: a SQLite file, or a database URL."""
    url = database if isinstance(database, str) else f"sqlite+aiosqlite:///{database}"
    return Settings(database_url=url, plugins="", **overrides)


@dataclass
class Server:
    """A running app: its client, its services (for direct set-up), and the two tenants' credentials."""

    client: TestClient
    services: Services
    tenants: dict[str, TenantCredentials]
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    _invited: set[tuple[str, str]] = field(default_factory=set)
    spec: dict[str, Any] = field(default_factory=lambda: dict(SPEC))

    @staticmethod
    def bearer(credential: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential}"}

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run an async function on the app's event loop."""
        portal = self.client.portal
        assert portal is not None
        return portal.call(lambda: fn(*args, **kwargs))

    def key(self, tenant: str = "acme") -> dict[str, str]:
        return self.bearer(self.tenants[tenant].api_key)

    def admin(self, tenant: str = "acme", *, fresh: bool = False) -> dict[str, str]:
        """Headers of a signed-in admin of ``tenant`` (one session per module unless ``fresh``)."""
        if fresh or (tenant, "admin") not in self._tokens:
            creds = self.tenants[tenant]
            token = self.login(tenant, creds.admin_email, creds.admin_password)
            if fresh:
                return self.bearer(token)
            self._tokens[(tenant, "admin")] = token
        return self.bearer(self._tokens[(tenant, "admin")])

    def login(self, tenant: str, email: str, password: str) -> str:
        response = self.client.post("/v1/auth/login", json={"tenant": tenant, "email": email, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def person(self, role: str, tenant: str = "acme", *, fresh: bool = False) -> dict[str, str]:
        """Headers of a signed-in person with ``role`` (invited by the admin once per module; one session
        per module unless ``fresh``)."""
        if role == "admin":
            return self.admin(tenant, fresh=fresh)
        email, password = f"{role}@{tenant}.example", f"{role}-password-long-enough"
        if (tenant, role) not in self._invited:
            invite = self.client.post("/v1/accounts/invites", json={"email": email, "role": role},
                                      headers=self.admin(tenant))
            assert invite.status_code == 201, invite.text
            accepted = self.client.post("/v1/accounts/accept-invite", json={
                "invite": invite.json()["invite"], "name": role.title(), "password": password})
            assert accepted.status_code == 201, accepted.text
            self._invited.add((tenant, role))
        if fresh:
            return self.bearer(self.login(tenant, email, password))
        if (tenant, role) not in self._tokens:
            self._tokens[(tenant, role)] = self.login(tenant, email, password)
        return self.bearer(self._tokens[(tenant, role)])

    def start_interview(self, tenant: str = "acme", spec: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        response = self.client.post("/v1/interviews", json={"spec": spec or SPEC, **extra}, headers=self.key(tenant))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def consented(self, created: dict[str, Any], **choices: bool) -> dict[str, str]:
        """Candidate headers for an interview whose candidate has consented."""
        headers = self.bearer(created["candidate"]["token"])
        base = f"/v1/interviews/{created['interview_id']}/candidate"
        state = self.client.get(base, headers=headers).json()
        response = self.client.post(f"{base}/consent", headers=headers, json={
            "accept": True, "notice_sha256": state["consent_notice"]["sha256"], **choices})
        assert response.status_code == 200, response.text
        return headers


@contextmanager
def running_server(database: Path | str, *, engine_overrides: dict[str, Any] | None = None,
                   **settings: Any) -> Iterator[Server]:
    """An app on ``database`` (a SQLite file or a database URL) with instant fake providers and the tenants
    acme and globex; ``engine_overrides`` are SDK settings."""
    engine = Engine(engine_settings(database, **(engine_overrides or {})), question_source=FakeQuestionSource(),
                    evaluator=FakeEvaluator())
    app = create_app(server_settings(**settings), engine=engine)
    with TestClient(app) as client:
        services: Services = app.state.services
        running = Server(client, services, {})
        for tenant in ("acme", "globex"):
            running.tenants[tenant] = running.call(create_tenant, services, tenant, name=tenant.title(),
                                                   admin_email=f"admin@{tenant}.example")
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("server") / "server.db") as running:
        yield running


@pytest.fixture
def make_server(tmp_path: Path) -> Callable[..., AbstractContextManager[Server]]:
    """Start another app with different server settings: ``with make_server(rate_limit_ip="5/minute")``."""
    count = 0

    def make(**settings: Any) -> AbstractContextManager[Server]:
        nonlocal count
        count += 1
        return running_server(tmp_path / f"server-{count}.db", **settings)

    return make


class LiveServer:
    """A real ``interview-engine serve`` process with an HTTP client and the demo tenant's credentials."""

    def __init__(self, process: ServerProcess, credentials: TenantCredentials | None = None) -> None:
        self.process = process
        self.http = httpx.Client(base_url=process.url, timeout=20)
        self.credentials = credentials or process.credentials()

    @property
    def key(self) -> dict[str, str]:
        return Server.bearer(self.credentials.api_key)

    def admin(self) -> dict[str, str]:
        response = self.http.post("/v1/auth/login", json={"tenant": self.credentials.tenant_id,
                                                           "email": self.credentials.admin_email,
                                                           "password": self.credentials.admin_password})
        assert response.status_code == 200, response.text
        return Server.bearer(response.json()["access_token"])

    def start_interview(self, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post("/v1/interviews", json={"spec": spec or SPEC}, headers=self.key)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def consent(self, created: dict[str, Any]) -> dict[str, str]:
        headers = Server.bearer(created["candidate"]["token"])
        base = f"/v1/interviews/{created['interview_id']}/candidate"
        notice = self.http.get(base, headers=headers).json()["consent_notice"]["sha256"]
        assert self.http.post(f"{base}/consent", headers=headers, json={
            "accept": True, "notice_sha256": notice}).status_code == 200
        return headers

    def answer_all(self, created: dict[str, Any], headers: dict[str, str], via: LiveServer | None = None) -> int:
        """Answer every question (through ``via`` when given); returns how many."""
        http = (via or self).http
        base = f"/v1/interviews/{created['interview_id']}/candidate"
        question = http.get(f"{base}/question", headers=headers).json()
        count = 0
        while question is not None:
            response = http.post(f"{base}/answers", headers=headers, json={"question_id": question["id"],
                                                                             "text": f"Answer {count + 1}."})
            assert response.status_code == 201, response.text
            question = response.json()["next_question"]
            count += 1
        return count

    def socket(self, interview_id: str, *, headers: dict[str, str] | None = None, origin: str | None = None,
               query: str = "") -> ClientConnection:
        url = self.process.url.replace("http://", "ws://") + f"/v1/interviews/{interview_id}/events{query}"
        return ws_connect(url, additional_headers=headers or {}, origin=origin, proxy=None,  # type: ignore[arg-type]
                          open_timeout=10)

    @staticmethod
    def receive_until(socket: ClientConnection, done: Callable[[list[dict[str, Any]]], bool],
                      timeout: float = 20) -> list[dict[str, Any]]:
        """Events from ``socket`` until ``done(events)``; heartbeats are skipped."""
        events: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while not done(events):
            message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message["type"] == "event":
                events.append(message["event"])
        return events

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., AbstractContextManager[LiveServer]]]:
    """``with live_server(database_url, **environment) as server:`` a real server process on 127.0.0.1 with
    instant fake providers. Several may share one database: start them one after another and pass the
    first one's ``credentials`` to the others (only the first start creates the demo tenant)."""
    count = 0

    @contextmanager
    def start(database_url: str | None = None, credentials: TenantCredentials | None = None,
              **environment: str) -> Iterator[LiveServer]:
        nonlocal count
        count += 1
        workdir = tmp_path / f"live-{count}"
        env = {**FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_SERVER_SECRET_KEY": TEST_SECRET,
               "INTERVIEW_ENGINE_DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path}/live.db",
               "INTERVIEW_ENGINE_SERVER_WS_HEARTBEAT_S": "2", **environment}
        with ServerProcess(workdir, env) as process:
            running = LiveServer(process, credentials)
            try:
                yield running
            finally:
                running.close()

    yield start
