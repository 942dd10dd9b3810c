"""The record of which server holds each interview's live peer: a claim replaces the interview's row, a
release drops only the releasing server's own row, and a restarted server drops what it left; the
migration creates the table as the code declares it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from interview_engine_server import tables as t
from interview_engine_server.db import metadata
from interview_engine_server.errors import Conflict
from interview_engine_server.media.owners import PeerOwner, PeerOwners
from interview_engine_server.records import InterviewRecords
from interview_engine_server.tenants import Tenants, TenantSettings
from interview_engine_server.testing import free_port

from .conftest import TEST_SECRET, server_settings

pytestmark = pytest.mark.anyio

A, B = "http://10.0.0.1:8000", "http://10.0.0.2:8000"
PEER_1, PEER_2 = "6f1c3f4e-2f5b-4d1e-9a3c-1f2e3d4c5b6a", "0b8e7c1d-5a4f-4e2b-8c3d-2f1e0a9b8c7d"


async def interview(db: AsyncEngine, interview_id: str) -> str:
    with contextlib.suppress(Conflict):
        await Tenants(db).create("acme", TenantSettings(name="Acme"))
    await InterviewRecords(db).create(interview_id=interview_id, tenant_id="acme", created_by="test",
                                      external_ref=None, time_limit_s=None, extra_time_s=0, no_time_limit=True)
    return interview_id


async def test_a_claim_replaces_and_a_release_drops_only_its_own_row(any_db: AsyncEngine) -> None:
    first, second = await interview(any_db, "a" * 32), await interview(any_db, "b" * 32)
    a, b = PeerOwners(any_db, A), PeerOwners(any_db, B)
    assert await a.claim(first, PEER_1) is None
    assert await b.owner(first) == PeerOwner(PEER_1, A)
    assert await a.claim(first, PEER_1) is None  # its own row (an ICE restart here) replaces no other peer
    assert await b.claim(first, PEER_2) == PeerOwner(PEER_1, A)  # the candidate's new offer reached b
    assert await a.owner(first) == PeerOwner(PEER_2, B)
    await a.release(first, PEER_1)  # a's old peer finishes closing after b's claim: b's row stays
    assert await a.owner(first) == PeerOwner(PEER_2, B)
    await a.forget(first, PeerOwner(PEER_1, B))  # not the row's peer: nothing happens
    assert await a.owner(first) == PeerOwner(PEER_2, B)
    await a.claim(second, PEER_1)
    assert await b.release_all() == 1  # b restarted: its rows go, a's stay
    assert await a.owner(first) is None and await a.owner(second) == PeerOwner(PEER_1, A)
    await a.release(second, PEER_1)
    assert await a.owner(second) is None


async def test_claims_at_the_same_moment_take_turns(any_db: AsyncEngine) -> None:
    """Each claim replaces the one before it, so every peer but the last is closed by the claim after it."""
    interview_id = await interview(any_db, "d" * 32)
    peers = [str(uuid.UUID(int=n, version=4)) for n in range(8)]
    servers = [PeerOwners(any_db, A if n % 2 else B) for n in range(len(peers))]
    replaced = await asyncio.gather(*(s.claim(interview_id, p) for s, p in zip(servers, peers, strict=True)))
    assert replaced.count(None) == 1
    closed = [r.peer_id for r in replaced if r is not None]
    current = await servers[0].owner(interview_id)
    assert current is not None
    assert sorted([*closed, current.peer_id]) == sorted(peers)


async def test_the_row_goes_with_its_interview(sqlite_db: AsyncEngine) -> None:
    owners = PeerOwners(sqlite_db, A)
    await owners.claim(await interview(sqlite_db, "c" * 32), PEER_1)
    await InterviewRecords(sqlite_db).delete("c" * 32, "acme")
    assert await owners.owner("c" * 32) is None


async def test_the_migrations_create_the_servers_tables_as_declared(any_db: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"include_name": lambda name, kind, _: (
            kind != "table" or ((name or "").startswith("server_") and name != "server_alembic_version"))})
        return list(compare_metadata(context, metadata))

    async with any_db.connect() as conn:
        assert await conn.run_sync(differences) == []
    assert t.live_peers.name == "server_live_peers"


@pytest.mark.parametrize("url", ["ftp://10.0.0.1", "10.0.0.1:8000", "http://"])
def test_live_server_url_must_be_an_http_address(url: str) -> None:
    with pytest.raises(ValidationError, match="live_server_url must be an http"):
        server_settings(live_server_url=url)
    assert server_settings(live_server_url="http://10.0.0.1:8000/").live_server_url == "http://10.0.0.1:8000"


def test_serve_refuses_several_processes_behind_one_live_server_url(tmp_path: Path) -> None:
    environment = {**os.environ, "INTERVIEW_ENGINE_SERVER_SECRET_KEY": TEST_SECRET,
                   "INTERVIEW_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/live.db",
                   "INTERVIEW_ENGINE_SERVER_LIVE_SERVER_URL": "http://10.0.0.1:8000"}
    done = subprocess.run([sys.executable, "-m", "interview_engine", "serve", "--port", str(free_port()),
                           "--workers", "2"], cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0 and done.stdout == ""
    assert "without --workers" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "live.db").exists()  # refused before anything was created
