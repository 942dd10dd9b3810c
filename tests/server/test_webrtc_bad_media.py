"""Bad media and bad signalling each get a clear answer and leave nothing behind: an offer with no audio,
garbage SDP, a codec the server cannot decode, a peer that never completes ICE, a microphone that stops
mid-answer, bad candidates, another interview's peer, no consent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from aiortc import RTCRtpCodecParameters
from aiortc.sdp import SessionDescription

from interview_engine.testing.speech import say
from interview_engine_server.media.testing import ImageTrack, SpeechTrack

from .webrtc_support import LiveMediaServer, consented_interview, held, live_media_server, server_tasks, settled

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ICE_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveMediaServer]:
    with live_media_server(tmp_path_factory.mktemp("webrtc-bad"), live_silence_s=1.0,
                           ice_timeout_s=ICE_TIMEOUT_S, live_audio_idle_s=1.0) as server:
        yield server


@pytest.fixture(scope="module")
def speech() -> bytes:
    return say("our team reviewed every pull request before it reached the main branch")


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


async def test_offers_that_cannot_work_are_refused_clearly(live: LiveMediaServer, speech: bytes) -> None:
    baseline = held(live)
    image = ImageTrack(np.zeros((64, 64, 3), np.uint8))
    async with consented_interview(live) as (_, candidate):
        pc, video_only = await candidate.offer_sdp(image)
        await pc.close()
        refused(await candidate.post_offer(video_only), 422, "no_audio")
        for garbage in ("hello", "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" * 3, "\x00\xff" * 50, "v=0\r\n" * 5000):
            refused(await candidate.post_offer(garbage), 422, "invalid_sdp")
        pc, sdp = await candidate.offer_sdp(SpeechTrack(speech, 16_000))
        await pc.close()
        description = SessionDescription.parse(sdp)
        description.media[0].rtp.codecs = [RTCRtpCodecParameters(mimeType="audio/iLBC", clockRate=8000,
                                                                 payloadType=102)]
        description.media[0].fmt = [102]
        refused(await candidate.post_offer(str(description)), 422, "unsupported_codec")
        too_big = await candidate.post_offer(sdp + "a=x\r\n" * 20_000)
        assert too_big.status_code in (413, 422), too_big.text
        wrong_type = await candidate.http.post(f"{candidate.base}/webrtc/offer", headers=candidate.headers,
                                               json={"sdp": sdp, "type": "answer"})
        refused(wrong_type, 422, "invalid_request")
    assert all(v <= baseline[k] for k, v in (await settled(live, baseline)).items())


async def test_candidates_and_peers_must_be_the_callers(live: LiveMediaServer, speech: bytes) -> None:
    async with consented_interview(live) as (_, mine), consented_interview(live) as (_, theirs):
        await mine.connect(SpeechTrack(speech, 16_000))
        patch = mine.base + "/webrtc/offer"
        bad = {"peer_id": mine.peer_id, "candidates": [{"candidate": "candidate:garbage", "sdpMid": "0"}]}
        refused(await mine.http.patch(patch, headers=mine.headers, json=bad), 422, "invalid_candidate")
        no_mid = {"peer_id": mine.peer_id, "candidates": [
            {"candidate": "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host"}]}
        refused(await mine.http.patch(patch, headers=mine.headers, json=no_mid), 422, "invalid_candidate")
        good = {"peer_id": mine.peer_id, "candidates": [
            {"candidate": "candidate:1 1 udp 2130706431 192.0.2.1 50000 typ host", "sdpMid": "0",
             "sdpMLineIndex": 0}, {"candidate": "", "sdpMid": "0"}]}
        assert (await mine.http.patch(patch, headers=mine.headers, json=good)).status_code == 204
        # their token, my peer: not theirs to touch
        theirs_patch = theirs.base + "/webrtc/offer"
        refused(await theirs.http.patch(theirs_patch, headers=theirs.headers, json=good), 404, "not_found")
        refused(await theirs.http.delete(f"{theirs_patch}/{mine.peer_id}", headers=theirs.headers), 404,
                "not_found")
        pc, sdp = await theirs.offer_sdp(SpeechTrack(speech, 16_000))
        await pc.close()
        refused(await theirs.post_offer(sdp, peer_id=mine.peer_id, restart=True), 409, "peer_exists")
        refused(await mine.post_offer(sdp, peer_id=mine.peer_id), 409, "peer_exists")  # restart not asked
        refused(await mine.post_offer(sdp, peer_id="not-a-uuid"), 422, "invalid_request")
        assert live.server.services.media.peer_of(mine.base.split("/")[3]) is not None


async def test_an_offer_needs_consent_and_consent_to_transcription(live: LiveMediaServer, speech: bytes) -> None:
    for consent, transcription, code in ((False, False, "consent_required"),
                                         (True, False, "transcription_not_consented")):
        async with consented_interview(live, consent=consent, transcription=transcription) as (_, candidate):
            pc, sdp = await candidate.offer_sdp(SpeechTrack(speech, 16_000))
            await pc.close()
            refused(await candidate.post_offer(sdp), 409, code)
            refused(await candidate.done(), 409, code if not consent else "no_live_answer")


async def test_a_peer_that_never_completes_ice_is_closed_after_the_timeout(
        live: LiveMediaServer, speech: bytes) -> None:
    baseline = held(live)
    async with consented_interview(live) as (_, candidate):
        pc, sdp = await candidate.offer_sdp(SpeechTrack(speech, 16_000))
        response = await candidate.post_offer(sdp)  # the answer is never applied: no ICE checks ever come
        assert response.status_code == 200, response.text
        await pc.close()
        assert held(live)["peers"] == 1
        await asyncio.sleep(ICE_TIMEOUT_S)
        after = await settled(live, baseline)
        assert all(after[k] <= baseline[k] for k in baseline), (baseline, after, server_tasks(live))
        refused(await candidate.http.delete(f"{candidate.base}/webrtc/offer/{response.json()['peer_id']}",
                                            headers=candidate.headers), 404, "not_found")


async def test_a_microphone_that_stops_mid_answer_keeps_the_words_and_done_records_them(
        live: LiveMediaServer, speech: bytes) -> None:
    baseline = held(live)
    async with consented_interview(live, emotion=False) as (state, candidate):
        track = SpeechTrack(speech, 16_000)
        await candidate.connect(track)
        await candidate.connected()
        await asyncio.sleep(3.0)  # most of the sentence
        track.stop()  # the browser's microphone goes away: no more audio (the connection stays)
        after = await settled(live, baseline)
        assert all(after[k] <= baseline[k] for k in baseline), (baseline, after, server_tasks(live))
        interview_id = state["interview_id"]
        draft = (await candidate.http.get(f"/v1/interviews/{interview_id}/candidate",
                                          headers=candidate.headers)).json()["draft"]
        assert draft and draft["question_id"] == state["current_question"]["id"] and draft["text"]
        session = live.run(live.server.services.engine.resume(interview_id, tenant="acme"))
        assert session.answers == []  # not recorded: the candidate may reconnect and go on
        done = await candidate.done()  # or say they are done: the saved words become the answer
        assert done.status_code == 201, done.text
        session = live.run(live.server.services.engine.resume(interview_id, tenant="acme"))
        assert session.answers[0].text == draft["text"] and session.answers[0].source == "speech"


async def test_an_unknown_peer_id_is_not_found(live: LiveMediaServer) -> None:
    async with consented_interview(live) as (_, candidate):
        url = f"{candidate.base}/webrtc/offer"
        refused(await candidate.http.delete(f"{url}/{uuid.uuid4()}", headers=candidate.headers), 404, "not_found")
        refused(await candidate.http.patch(url, headers=candidate.headers, json={
            "peer_id": str(uuid.uuid4()), "candidates": [{"candidate": "", "sdpMid": "0"}]}), 404, "not_found")
