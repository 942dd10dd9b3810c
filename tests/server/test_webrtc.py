"""Live answers over WebRTC against a real uvicorn server on 127.0.0.1 (HTTP) with real aiortc peers over UDP
on this machine's other interface: flite speech and scikit-image's astronaut go in; the transcript comes
back over the event WebSocket and the answer is stored with ``source="speech"``; emotion samples only
with consent; a reconnect in the middle of an answer loses nothing; leaving cleans everything up."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from skimage.data import astronaut
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from interview_engine import Engine, Settings
from interview_engine.testing import FakeEvaluator, FakeQuestionSource
from interview_engine.testing.speech import say
from interview_engine_server.app import create_app
from interview_engine_server.bootstrap import TenantCredentials, create_tenant
from interview_engine_server.media.testing import ImageTrack, LiveCandidate, SpeechTrack
from interview_engine_server.services import Services
from interview_engine_server.testing import free_port

from .conftest import server_settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SENTENCE = "our team reviewed every pull request before it reached the main branch"
SPEC = {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 2, "max_follow_ups": 0,
        "emotion_analysis": True}


@dataclass
class LiveServer:
    """uvicorn serving the app on 127.0.0.1 in a thread of this process, so a test can look inside."""

    url: str
    services: Services
    loop: asyncio.AbstractEventLoop
    credentials: TenantCredentials

    def run(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's event loop from the test's."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


def _serve(tmp: Path, **settings: Any) -> Iterator[LiveServer]:
    engine = Engine(Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'live.db'}", plugins="pocketsphinx,fer_lite",
                             transcriber="pocketsphinx", emotion_analyzer="fer_lite"),
                    question_source=FakeQuestionSource(), evaluator=FakeEvaluator())
    port = free_port()
    app = create_app(server_settings(public_url=f"http://127.0.0.1:{port}", **settings), engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the server did not start")
        threading.Event().wait(0.05)
    services: Services = app.state.services
    credentials = asyncio.run_coroutine_threadsafe(
        create_tenant(services, "acme", name="Acme", admin_email="admin@acme.example"), loop).result(30)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", services, loop, credentials)
    finally:
        server.should_exit = True
        thread.join(30)
        loop.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from _serve(tmp_path_factory.mktemp("webrtc"), live_silence_s=1.0, ice_timeout_s=3.0)


@pytest.fixture(scope="module")
def speech() -> bytes:
    return say(SENTENCE)


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    return np.ascontiguousarray(astronaut()[::2, ::2])  # 256 × 256: cheap to encode, the face still clear


@asynccontextmanager
async def interview(live: LiveServer, *, emotion: bool = True, transcription: bool = True
                    ) -> AsyncIterator[tuple[dict[str, Any], LiveCandidate]]:
    """A new interview whose candidate consented (to transcription and, with ``emotion``, to emotion analysis)."""
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        key = {"Authorization": f"Bearer {live.credentials.api_key}"}
        created = (await http.post("/v1/interviews", json={"spec": SPEC}, headers=key)).json()
        token = created["candidate"]["token"]
        base = f"/v1/interviews/{created['interview_id']}/candidate"
        headers = {"Authorization": f"Bearer {token}"}
        state = (await http.get(base, headers=headers)).json()
        consent = await http.post(f"{base}/consent", headers=headers, json={
            "accept": True, "notice_sha256": state["consent_notice"]["sha256"], "transcription": transcription,
            "emotion_analysis": emotion})
        assert consent.status_code == 200, consent.text
        candidate = LiveCandidate(http, created["interview_id"], token)
        try:
            yield consent.json(), candidate
        finally:
            await candidate.close()


async def events_until(socket: ClientConnection, type_: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Events from the socket up to and including the first of ``type_``."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not seen or seen[-1]["type"] != type_:
            message = json.loads(await socket.recv())
            if message["type"] == "event":
                seen.append(message["event"])
    return seen


def socket_for(live: LiveServer, interview_id: str, token: str) -> Any:
    url = live.url.replace("http://", "ws://") + f"/v1/interviews/{interview_id}/events"
    return ws_connect(url, additional_headers={"Authorization": f"Bearer {token}"}, proxy=None)


async def test_spoken_answer_arrives_as_transcript_and_is_stored_as_speech(
        live: LiveServer, speech: bytes, face: np.ndarray) -> None:
    async with interview(live) as (state, candidate):
        interview_id = state["interview_id"]
        question = state["current_question"]
        async with socket_for(live, interview_id, candidate.headers["Authorization"][7:]) as socket:
            await candidate.connect(SpeechTrack(speech, 16_000), ImageTrack(face))
            await candidate.connected()
            events = await events_until(socket, "answer.recorded")
        finals = [e for e in events if e["type"] == "transcript.final"]
        assert finals and all(e["data"]["question_id"] == question["id"] for e in finals)
        session = live.run(live.services.engine.resume(interview_id, tenant="acme"))
        answer = session.answers[0]
        assert answer.source == "speech" and answer.question_id == question["id"]
        assert answer.text == finals[-1]["data"]["answer_text"]
        assert answer.segments and 2.0 < (answer.duration_s or 0) < 8.0
        assert {"team", "request", "main"} & set(answer.text.split())
