"""Live answers over WebRTC against a real uvicorn server on 127.0.0.1 (HTTP) with real aiortc peers over UDP
on this machine's other interface: flite speech and scikit-image's astronaut go in; the transcript comes
back over the event WebSocket and the answer is stored with ``source="speech"``; emotion samples only
with consent; proctoring signals only to recruiters; a reconnect in the middle of an answer loses nothing;
leaving closes everything the peer had."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest
from skimage.data import astronaut

from interview_engine.testing.speech import say
from interview_engine_server.media.testing import ImageTrack, LiveCandidate, SpeechTrack

from .webrtc_support import (
    LiveMediaServer,
    consented_interview,
    event_socket,
    events_for,
    events_until,
    held,
    live_media_server,
    server_tasks,
    settled,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

FIRST, SECOND = "our team reviewed every pull request", "before it reached the main branch"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveMediaServer]:
    with live_media_server(tmp_path_factory.mktemp("webrtc"), live_silence_s=1.0, ice_timeout_s=5.0) as server:
        yield server


@pytest.fixture(scope="module")
def speech() -> bytes:
    return say(f"{FIRST} {SECOND}")


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    return np.ascontiguousarray(astronaut()[::2, ::2])  # 256 × 256: cheap to encode, the face still clear


async def samples_of(live: LiveMediaServer, interview_id: str, at_least: int, timeout: float = 10) -> list:
    async with asyncio.timeout(timeout):
        while True:
            samples = live.run(live.server.services.engine.store.list_emotion_samples(interview_id, tenant="acme"))
            if len(samples) >= at_least:
                return samples
            await asyncio.sleep(0.2)


async def test_a_spoken_answer_streams_its_transcript_and_is_stored_as_speech(
        live: LiveMediaServer, speech: bytes, face: np.ndarray) -> None:
    async with consented_interview(live) as (state, candidate):
        interview_id, question = state["interview_id"], state["current_question"]
        assert state["ice_servers"] == []  # none configured: host candidates only
        async with event_socket(live, interview_id, candidate.headers) as socket:
            await candidate.connect(SpeechTrack(speech, 16_000), ImageTrack(face))
            await candidate.connected()
            events = await events_until(socket, "answer.recorded")
        finals = [e for e in events if e["type"] == "transcript.final"]
        assert finals and all(e["data"]["question_id"] == question["id"] for e in finals)
        assert events.index(finals[-1]) < len(events) - 1  # the transcript came before the answer
        session = live.run(live.server.services.engine.resume(interview_id, tenant="acme"))
        answer = session.answers[0]
        assert answer.source == "speech" and answer.question_id == question["id"]
        assert answer.text == finals[-1]["data"]["answer_text"]
        assert answer.segments and 2.0 < (answer.duration_s or 0) < 8.0
        assert {"team", "request", "main", "branch"} & set(answer.text.split())
        samples = await samples_of(live, interview_id, at_least=1)
        assert all(s.face_count == 1 and s.dominant is not None for s in samples)  # consented: analysed


async def test_without_emotion_consent_no_frame_is_analysed_and_done_ends_the_answer(
        live: LiveMediaServer, speech: bytes, face: np.ndarray) -> None:
    async with consented_interview(live, emotion=False) as (state, candidate):
        track = SpeechTrack(speech, 16_000)
        await candidate.connect(track, ImageTrack(face))
        await candidate.connected()
        async with asyncio.timeout(20):
            while track.spoke_at is None:
                await asyncio.sleep(0.05)
        done = await candidate.done()  # before the silence would end it
        assert done.status_code == 201, done.text
        assert done.json()["answered_count"] == 1 and done.json()["next_question"] is not None
        session = live.run(live.server.services.engine.resume(state["interview_id"], tenant="acme"))
        assert session.answers[0].source == "speech" and session.answers[0].text
        await asyncio.sleep(2.5)  # frames kept coming for more than one sampling interval
        assert await samples_of(live, state["interview_id"], at_least=0) == []
        again = await candidate.done()  # nothing said since: nothing to record
        assert again.status_code == 409 and again.json()["error"]["code"] == "no_speech"


async def test_proctoring_signals_reach_recruiters_only_and_leaving_releases_everything(
        live: LiveMediaServer, speech: bytes) -> None:
    baseline = held(live)
    blank = np.full((128, 128, 3), 90, np.uint8)  # nobody in the picture
    async with consented_interview(live) as (state, candidate):
        interview_id = state["interview_id"]
        async with event_socket(live, interview_id, live.recruiter()) as recruiter, \
                event_socket(live, interview_id, candidate.headers) as candidate_socket:
            await candidate.connect(SpeechTrack(speech, 16_000), ImageTrack(blank))
            await candidate.connected()
            signal = (await events_until(recruiter, "proctoring.signal"))[-1]
            assert signal["recruiter_only"] and signal["data"]["kind"] == "no_face"
            during = held(live)
            assert during["peers"] == 1 and during["transcriber_streams"] == baseline["transcriber_streams"] + 1
            left = await candidate.leave()
            assert left.status_code == 204
            seen = await events_for(candidate_socket, 1.0)  # the recruiter's socket had it long before
            assert seen and "proctoring.signal" not in {e["type"] for e in seen}
        after = await settled(live, baseline)
        assert all(after[k] <= baseline[k] for k in baseline), (baseline, during, after, server_tasks(live))
        samples = await samples_of(live, interview_id, at_least=1)
        assert all(s.face_count == 0 for s in samples)  # kept for the report's proctoring section
        gone = await candidate.http.delete(f"/v1/interviews/{interview_id}/webrtc/offer/{candidate.peer_id}",
                                           headers=candidate.headers)
        assert gone.status_code == 404


async def test_two_offers_at_once_leave_the_interview_one_live_peer(live: LiveMediaServer, speech: bytes) -> None:
    """Two tabs (or a retried offer) reconnecting at the same moment: each replaces the peer before it."""
    async with consented_interview(live, emotion=False) as (state, candidate):
        interview_id = state["interview_id"]
        await candidate.connect(SpeechTrack(speech, 16_000))
        token = candidate.headers["Authorization"].removeprefix("Bearer ")
        tabs = [LiveCandidate(candidate.http, interview_id, token) for _ in range(2)]
        try:
            outcomes = await asyncio.gather(*(tab.connect(SpeechTrack(speech, 16_000)) for tab in tabs),
                                            return_exceptions=True)
            for outcome in outcomes:  # answered, or refused because the other replaced it first
                assert outcome is None or ("409" in str(outcome) and "offer_replaced" in str(outcome)), outcome

            async def live_peers() -> list[str]:
                return [p.peer_id for p in live.server.services.media.peers.values() if p.interview_id == interview_id]

            peers = live.run(live_peers())
            assert len(peers) == 1 and peers[0] in {tab.peer_id for tab in tabs}, peers
        finally:
            for tab in tabs:
                await (tab.leave() if tab.peer_id else tab.close())


async def test_a_restart_starts_again_a_peer_the_server_closed_but_not_one_a_newer_peer_replaced(
        live: LiveMediaServer, speech: bytes) -> None:
    async with consented_interview(live, emotion=False) as (state, candidate):
        interview_id = state["interview_id"]
        await candidate.connect(SpeechTrack(speech, 16_000))
        peer_id = candidate.peer_id
        assert peer_id is not None
        live.run(live.server.services.media.leave(interview_id, peer_id))  # closed by the server (a drain, a timeout)
        await candidate.connect(SpeechTrack(speech, 16_000), restart=True)
        assert candidate.peer_id == peer_id
        await candidate.connected()
        token = candidate.headers["Authorization"].removeprefix("Bearer ")
        other_window = LiveCandidate(candidate.http, interview_id, token)
        try:
            await other_window.connect(SpeechTrack(speech, 16_000))
            pc, sdp = await candidate.offer_sdp(SpeechTrack(speech, 16_000))
            await pc.close()
            refused = await candidate.post_offer(sdp, peer_id=peer_id, restart=True)
            assert refused.status_code == 409 and refused.json()["error"]["code"] == "peer_replaced", refused.text
            assert other_window.peer_id in live.server.services.media.peers
        finally:
            await other_window.leave()


async def test_a_reconnect_in_the_middle_of_an_answer_loses_nothing(live: LiveMediaServer) -> None:
    async with consented_interview(live, emotion=False) as (state, candidate):
        interview_id = state["interview_id"]
        async with event_socket(live, interview_id, candidate.headers) as socket:
            first = SpeechTrack(say(FIRST), 16_000)
            await candidate.connect(first)
            await candidate.connected()
            async with asyncio.timeout(20):
                while first.spoke_at is None:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # the last words reach the server; the silence is far from over
            peer_id = candidate.peer_id
            await candidate.close()  # the network drops mid-answer
            before = await events_until(socket, "transcript.final")
            await candidate.connect(SpeechTrack(say(SECOND), 16_000), restart=True)
            assert candidate.peer_id == peer_id
            events = await events_until(socket, "answer.recorded")
        session = live.run(live.server.services.engine.resume(interview_id, tenant="acme"))
        answer = session.answers[0]
        assert len(session.answers) == 1 and answer.source == "speech"
        assert answer.text.startswith(before[-1]["data"]["answer_text"])
        assert answer.text == [e for e in events if e["type"] == "transcript.final"][-1]["data"]["answer_text"]
        assert {"team", "request"} & set(answer.text.split()) and {"main", "branch"} & set(answer.text.split())
        assert answer.segments[-1].start >= 2.0  # times continue after the first connection's audio


async def test_words_still_interim_when_the_network_drops_are_kept_by_the_restart(live: LiveMediaServer) -> None:
    """The connection drops mid-sentence, before any final segment: closing the old peer transcribes and
    saves what it heard, and the restart (same peer id) goes on from there."""
    async with consented_interview(live, emotion=False) as (state, candidate):
        interview_id = state["interview_id"]
        async with event_socket(live, interview_id, candidate.headers) as socket:
            first = SpeechTrack(say(f"{FIRST} {SECOND}"), 16_000)
            await candidate.connect(first)
            await candidate.connected()
            async with asyncio.timeout(20):
                while first.sent * first.n < 0.6 * len(first.samples):  # mid-sentence, no pause yet
                    await asyncio.sleep(0.02)
            dropped_at_s = first.sent * first.n / 16_000
            peer_id = candidate.peer_id
            await candidate.close()
            await candidate.connect(SpeechTrack(say(SECOND), 16_000), restart=True)
            assert candidate.peer_id == peer_id
            events = await events_until(socket, "answer.recorded")
        finals = [e for e in events if e["type"] == "transcript.final"]
        before_drop = finals[0]["data"]["answer_text"]
        assert {"team", "request", "reviewed"} & set(before_drop.split())
        # that segment was still interim when the connection dropped: the drop, not a pause, ended it
        assert finals[0]["data"]["end"] == pytest.approx(dropped_at_s, abs=0.25)
        assert "transcript.interim" in [e["type"] for e in events[:events.index(finals[0])]]
        session = live.run(live.server.services.engine.resume(interview_id, tenant="acme"))
        [answer] = session.answers
        assert answer.text.startswith(before_drop) and {"main", "branch"} & set(answer.text.split())


async def test_emotion_consent_withdrawn_mid_connection_stops_the_analysis(
        live: LiveMediaServer, face: np.ndarray) -> None:
    async with consented_interview(live) as (state, candidate):
        interview_id = state["interview_id"]
        await candidate.connect(SpeechTrack(b"\x00\x00" * 16_000, 16_000), ImageTrack(face))
        await candidate.connected()
        await samples_of(live, interview_id, at_least=1)
        withdrawn = await candidate.http.post(f"/v1/interviews/{interview_id}/candidate/consent",
                                              headers=candidate.headers, json={
            "accept": True, "notice_sha256": state["consent_notice"]["sha256"], "transcription": True,
            "emotion_analysis": False})
        assert withdrawn.status_code == 200, withdrawn.text
        await asyncio.sleep(0.5)  # a sample already being analysed may still land
        before = len(await samples_of(live, interview_id, at_least=1))
        await asyncio.sleep(2.5)  # more than one sampling interval
        assert len(await samples_of(live, interview_id, at_least=0)) == before
