"""Shared by the live (WebRTC) tests: a real uvicorn server in a thread of the test process with a real
transcriber and emotion analyzer, an interview whose candidate consented, the event socket, and counts of
what live media holds (tasks, threads, peer connections, transcriber streams)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiortc import RTCPeerConnection
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from interview_engine import Engine, Settings
from interview_engine.testing import FakeEvaluator, FakeQuestionSource
from interview_engine_server.app import create_app
from interview_engine_server.bootstrap import TenantCredentials, create_tenant
from interview_engine_server.media.testing import LiveCandidate, ThreadServer, serve_in_thread
from interview_engine_server.testing import free_port

from .conftest import server_settings

SPEC = {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 2, "max_follow_ups": 0,
        "emotion_analysis": True}
POOL_THREADS = ("AnyIO worker thread", "pocketsphinx", "ThreadPoolExecutor", "asyncio_")
"""Worker pools that outlive a peer by design (idle threads kept for the next job)."""


@dataclass
class LiveMediaServer:
    server: ThreadServer
    credentials: TenantCredentials

    @property
    def url(self) -> str:
        return self.server.url

    def run(self, coro: Any) -> Any:
        return self.server.run(coro)

    @property
    def key(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.api_key}"}

    def recruiter(self) -> dict[str, str]:
        """Headers of the signed-in admin (a recruiter session)."""
        creds = self.credentials
        response = httpx.post(f"{self.url}/v1/auth/login", json={
            "tenant": creds.tenant_id, "email": creds.admin_email, "password": creds.admin_password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextmanager
def live_media_server(tmp: Path, engine_settings: dict[str, Any] | None = None,
                      **settings: Any) -> Iterator[LiveMediaServer]:
    """The app with pocketsphinx and fer_lite (unless ``engine_settings`` says otherwise) on 127.0.0.1."""
    chosen = {"plugins": "pocketsphinx,fer_lite", "transcriber": "pocketsphinx", "emotion_analyzer": "fer_lite",
              **(engine_settings or {})}
    engine = Engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'live.db'}", **chosen),
                    question_source=FakeQuestionSource(), evaluator=FakeEvaluator())
    port = free_port()
    app = create_app(server_settings(public_url=f"http://127.0.0.1:{port}", **settings), engine=engine)
    with serve_in_thread(app, port) as server:
        credentials = server.run(create_tenant(server.services, "acme", name="Acme",
                                               admin_email="admin@acme.example"))
        yield LiveMediaServer(server, credentials)


@asynccontextmanager
async def consented_interview(live: LiveMediaServer, *, emotion: bool = True, transcription: bool = True,
                              consent: bool = True) -> AsyncIterator[tuple[dict[str, Any], LiveCandidate]]:
    """A new interview, the candidate state after consent (unless ``consent`` is false), and the
    candidate's client peer (closed afterwards)."""
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        created = (await http.post("/v1/interviews", json={"spec": SPEC}, headers=live.key)).json()
        token = created["candidate"]["token"]
        base = f"/v1/interviews/{created['interview_id']}/candidate"
        headers = {"Authorization": f"Bearer {token}"}
        state = (await http.get(base, headers=headers)).json()
        if consent:
            response = await http.post(f"{base}/consent", headers=headers, json={
                "accept": True, "notice_sha256": state["consent_notice"]["sha256"], "transcription": transcription,
                "emotion_analysis": emotion})
            assert response.status_code == 200, response.text
            state = response.json()
        candidate = LiveCandidate(http, created["interview_id"], token)
        try:
            yield state, candidate
        finally:
            await candidate.close()


def event_socket(live: LiveMediaServer, interview_id: str, headers: dict[str, str]) -> Any:
    url = live.url.replace("http://", "ws://") + f"/v1/interviews/{interview_id}/events"
    return ws_connect(url, additional_headers=headers, proxy=None)


async def events_until(socket: ClientConnection, type_: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Events from the socket up to and including the first of ``type_``."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not seen or seen[-1]["type"] != type_:
            message = json.loads(await socket.recv())
            if message["type"] == "event":
                seen.append(message["event"])
    return seen


async def events_for(socket: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    """Every event the socket receives in the next ``seconds``."""
    seen: list[dict[str, Any]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                message = json.loads(await socket.recv())
                if message["type"] == "event":
                    seen.append(message["event"])
    return seen


async def _tasks() -> list[str]:
    return sorted(f"{t.get_name()}: {t.get_coro()}" for t in asyncio.all_tasks())


def server_tasks(live: LiveMediaServer) -> list[str]:
    """The server loop's tasks, by name and coroutine (for a failure message)."""
    return live.run(_tasks())  # type: ignore[no-any-return]


def held(live: LiveMediaServer) -> dict[str, int]:
    """What live media holds now: server tasks, threads (not idle pool workers), open peer connections in
    this process (server and client side), running transcriber streams, and the server's peers."""

    gc.collect()
    objects = gc.get_objects()
    return {
        "tasks": len(server_tasks(live)),
        "threads": sum(not t.name.startswith(POOL_THREADS) for t in threading.enumerate()),
        "peer_connections": sum(isinstance(o, RTCPeerConnection) and o.connectionState != "closed"
                                for o in objects),
        "transcriber_streams": sum(inspect.isasyncgen(o) and o.ag_code.co_name == "stream" and o.ag_frame is not None
                                   for o in objects),
        "peers": len(live.server.services.media.peers),
    }


async def settled(live: LiveMediaServer, baseline: dict[str, int], timeout: float = 15) -> dict[str, int]:
    """The count once live media holds no more than ``baseline``, or after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        now = held(live)
        if all(now[k] <= baseline[k] for k in baseline) or asyncio.get_running_loop().time() > deadline:
            return now
        await asyncio.sleep(0.2)
