"""The live path with Deepgram (the transcriber for Korean) against the fake Deepgram server: every word the
candidate's peer sends over WebRTC comes back in the transcript and the stored answer, none lost or doubled."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from interview_engine_deepgram.testing import FakeDeepgram

from interview_engine_server.media.testing import SpeechTrack

from .webrtc_support import LiveMediaServer, consented_interview, event_socket, events_until, live_media_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SCRIPT = "I would add an index on user_id then check the plan"


@pytest.fixture(scope="module")
def deepgram() -> Iterator[FakeDeepgram]:
    """The fake Deepgram server on its own event loop in a thread (the app's loop is the server's)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-deepgram")
    thread.start()
    fake = FakeDeepgram()
    asyncio.run_coroutine_threadsafe(fake.__aenter__(), loop).result(30)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.__aexit__(None, None, None), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, deepgram: FakeDeepgram) -> Iterator[LiveMediaServer]:
    options = {"api_key": deepgram.api_key, "api_url": deepgram.api_url, "ws_url": deepgram.ws_url,
               "reconnect_backoff_s": 0.01}
    engine = {"plugins": "deepgram", "transcriber": "deepgram", "transcriber_options": options,
              "emotion_analyzer": None}
    with live_media_server(tmp_path_factory.mktemp("webrtc-deepgram"), engine, live_silence_s=1.0) as server:
        yield server


async def test_every_word_reaches_the_answer_through_deepgram(live: LiveMediaServer, deepgram: FakeDeepgram) -> None:
    async with consented_interview(live, emotion=False) as (state, candidate):
        interview_id = state["interview_id"]
        async with event_socket(live, interview_id, candidate.headers) as socket:
            await candidate.connect(SpeechTrack(deepgram.speech(SCRIPT), 16_000))
            await candidate.connected()
            events = await events_until(socket, "answer.recorded")
        types = [e["type"] for e in events]
        assert "transcript.interim" in types and "transcript.final" in types
        session = live.run(live.server.services.engine.resume(interview_id, tenant="acme"))
        answer = session.answers[0]
        assert answer.text.lower() == SCRIPT.lower() and answer.source == "speech"
        assert len(answer.segments) >= 1 and answer.duration_s
