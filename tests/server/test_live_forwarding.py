"""Two server processes on one Postgres database, each with ``live_server_url``: a live request that
reaches the server not holding the interview's peer is passed on to the one that does (trickled
candidates, "done", leaving), a new offer on the other server first closes the older peer, and a holder
that stopped is forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from interview_engine.testing.speech import say
from interview_engine_server.bootstrap import TenantCredentials
from interview_engine_server.media.testing import LiveCandidate, SpeechTrack
from interview_engine_server.testing import FAST_TEST_ENVIRONMENT, ServerProcess

from .conftest import TEST_SECRET, LiveServer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SENTENCE = "our team reviewed every pull request before it reached the main branch"
HOST_CANDIDATE = "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host"


@contextmanager
def holding_server(workdir: Path, database_url: str, credentials: TenantCredentials | None = None
                   ) -> Iterator[LiveServer]:
    """A server process with pocketsphinx that records the live peers it holds under its own address."""
    process = ServerProcess(workdir, {})
    process.environment = {
        **FAST_TEST_ENVIRONMENT, "INTERVIEW_ENGINE_SERVER_SECRET_KEY": TEST_SECRET,
        "INTERVIEW_ENGINE_DATABASE_URL": database_url, "INTERVIEW_ENGINE_PLUGINS": "pocketsphinx",
        "INTERVIEW_ENGINE_TRANSCRIBER": "pocketsphinx", "INTERVIEW_ENGINE_SERVER_LIVE_SILENCE_S": "30",
        "INTERVIEW_ENGINE_SERVER_LIVE_SERVER_URL": process.url}
    with process:
        server = LiveServer(process, credentials)
        try:
            yield server
        finally:
            server.close()


@pytest.fixture
def servers(tmp_path: Path, postgres_url: str) -> Iterator[tuple[LiveServer, LiveServer]]:
    with holding_server(tmp_path / "a", postgres_url) as a, \
            holding_server(tmp_path / "b", postgres_url, a.credentials) as b:
        yield a, b


def consented(server: LiveServer) -> tuple[str, str]:
    """A new interview whose candidate consented to transcription: (interview id, candidate token)."""
    created = server.start_interview()
    token, base = created["candidate"]["token"], f"/v1/interviews/{created['interview_id']}/candidate"
    headers = {"Authorization": f"Bearer {token}"}
    notice = server.http.get(base, headers=headers).json()["consent_notice"]["sha256"]
    assert server.http.post(f"{base}/consent", headers=headers, json={
        "accept": True, "notice_sha256": notice, "transcription": True}).status_code == 200
    return created["interview_id"], token


@asynccontextmanager
async def clients(a: LiveServer, b: LiveServer) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with httpx.AsyncClient(base_url=a.process.url, timeout=60) as via_a, \
            httpx.AsyncClient(base_url=b.process.url, timeout=60) as via_b:
        yield via_a, via_b


async def add_candidate(http: httpx.AsyncClient, candidate: LiveCandidate, peer_id: str, line: str) -> httpx.Response:
    return await http.patch(f"{candidate.base}/webrtc/offer", headers=candidate.headers, json={
        "peer_id": peer_id, "candidates": [{"candidate": line, "sdpMid": "0", "sdpMLineIndex": 0}]})


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


async def eventually_refused(call: Any, status: int, code: str, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while (response := await call()).status_code != status:
            await asyncio.sleep(0.1)
    refused(response, status, code)


async def test_live_requests_reaching_the_other_server_are_answered_by_the_peers_server(
        servers: tuple[LiveServer, LiveServer]) -> None:
    a, b = servers
    interview_id, token = consented(a)
    async with clients(a, b) as (via_a, via_b):
        candidate = LiveCandidate(via_a, interview_id, token)
        try:
            track = SpeechTrack(say(SENTENCE), 16_000)
            await candidate.connect(track)
            await candidate.connected(timeout=30)
            peer_id = candidate.peer_id
            assert peer_id is not None
            # b holds no peer: a's own checks answer through it
            refused(await add_candidate(via_b, candidate, peer_id, "candidate:garbage"), 422, "invalid_candidate")
            assert (await add_candidate(via_b, candidate, peer_id, HOST_CANDIDATE)).status_code == 204
            async with asyncio.timeout(30):
                while track.spoke_at is None:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)  # the sentence's last words reach a; the 30 s silence is far off
            done = await via_b.post(f"{candidate.base}/candidate/answers/done", headers=candidate.headers)
            assert done.status_code == 201, done.text
            assert done.json()["next_question"] is not None
            report = (await via_b.get(f"/v1/interviews/{interview_id}", headers=a.key)).json()
            assert report["answered_count"] == 1
            # leaving through b closes a's peer, and a releases it: then nobody holds it
            left = await via_b.delete(f"{candidate.base}/webrtc/offer/{peer_id}", headers=candidate.headers)
            assert left.status_code == 204, left.text
            await eventually_refused(lambda: add_candidate(via_b, candidate, peer_id, HOST_CANDIDATE), 404,
                                     "not_found")
            refused(await add_candidate(via_a, candidate, peer_id, HOST_CANDIDATE), 404, "not_found")
        finally:
            await candidate.close()


async def test_an_offer_to_the_other_server_replaces_the_peer_and_a_stopped_holder_is_forgotten(
        servers: tuple[LiveServer, LiveServer]) -> None:
    a, b = servers
    interview_id, token = consented(a)
    async with clients(a, b) as (via_a, via_b):
        first, second = LiveCandidate(via_a, interview_id, token), LiveCandidate(via_b, interview_id, token)
        try:
            await first.connect(SpeechTrack(say(SENTENCE), 16_000))
            await first.connected(timeout=30)
            assert first.peer_id is not None
            # offers to b that cannot replace a's peer leave it alone
            refused(await second.post_offer("not an offer"), 422, "invalid_sdp")
            pc, sdp = await second.offer_sdp(SpeechTrack(say(SENTENCE), 16_000))
            await pc.close()
            refused(await second.post_offer(sdp, peer_id=first.peer_id), 409, "peer_exists")
            assert (await add_candidate(via_a, first, first.peer_id, HOST_CANDIDATE)).status_code == 204
            await second.connect(SpeechTrack(say(SENTENCE), 16_000))  # a reload that reached b
            assert first.peer_id is not None and second.peer_id is not None and first.peer_id != second.peer_id
            refused(await add_candidate(via_a, first, first.peer_id, HOST_CANDIDATE), 404, "not_found")
            # the replaced peer's restart is refused on either server: the newest peer stays
            for via in (via_a, via_b):
                refused(await LiveCandidate(via, interview_id, token).post_offer(
                    sdp, peer_id=first.peer_id, restart=True), 409, "peer_replaced")
            # a passes a request for b's peer on to b
            refused(await add_candidate(via_a, second, second.peer_id, "candidate:garbage"), 422,
                    "invalid_candidate")
            assert b.process.process is not None
            b.process.process.kill()  # b stops without closing its peers: its record of holding one stays
            b.process.process.wait(10)
            refused(await add_candidate(via_a, second, second.peer_id, HOST_CANDIDATE), 404, "not_found")
            refused(await add_candidate(via_a, second, second.peer_id, HOST_CANDIDATE), 404, "not_found")
        finally:
            await first.close()
            await second.close()


async def test_offers_reaching_both_servers_at_once_leave_one_live_peer(
        servers: tuple[LiveServer, LiveServer]) -> None:
    """A retried offer (or a second tab) on the other server while the first is still being answered:
    neither finds a peer to close first, and the later claim closes the peer it replaced."""
    a, b = servers
    interview_id, token = consented(a)
    async with clients(a, b) as (via_a, via_b):
        first, second = LiveCandidate(via_a, interview_id, token), LiveCandidate(via_b, interview_id, token)
        try:
            await asyncio.gather(first.connect(SpeechTrack(say(SENTENCE), 16_000)),
                                 second.connect(SpeechTrack(say(SENTENCE), 16_000)))
            assert first.peer_id is not None and second.peer_id is not None
            on_a = await add_candidate(via_a, first, first.peer_id, HOST_CANDIDATE)
            on_b = await add_candidate(via_b, second, second.peer_id, HOST_CANDIDATE)
            assert sorted([on_a.status_code, on_b.status_code]) == [204, 404], (on_a.text, on_b.text)
            live, other = (first, via_b) if on_a.status_code == 204 else (second, via_a)
            assert live.peer_id is not None
            # the server that lost the peer passes requests for the live one on to its holder
            assert (await add_candidate(other, live, live.peer_id, HOST_CANDIDATE)).status_code == 204
        finally:
            await first.close()
            await second.close()
