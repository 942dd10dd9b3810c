"""Live answers over WebRTC, with a candidate token after consent (and consent to transcription):
the SDP offer and answer, trickled ICE candidates, an ICE restart for the same peer id, leaving, and
"done answering". Transcripts arrive on the interview's event socket; the recorded answer as
``answer.recorded``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from ..auth.principals import CANDIDATE, Access
from ..errors import Conflict
from ..media.sdp import MAX_SDP_CHARS, check_offer
from ..routing import PEER_ID_PATTERN, Call, Endpoint, NoQuery
from .candidate import AnswerAccepted, answer_accepted, require_consent
from .common import session_for

TAG = "Live"
MAX_CANDIDATES = 64

PeerId = Annotated[str, Field(pattern=PEER_ID_PATTERN, description="A lowercase UUID4.")]


class OfferRequest(BaseModel):
    """The browser's SDP offer (``RTCPeerConnection.createOffer``); it must send a microphone track."""

    model_config = ConfigDict(extra="forbid")

    sdp: Annotated[str, Field(min_length=1, max_length=MAX_SDP_CHARS)]
    type: Literal["offer"]
    peer_id: PeerId | None = Field(default=None, description="Reuse a peer id (with `restart`) after a "
                                                             "network change; omit for a new peer.")
    restart: bool = Field(default=False, description="Replace the live peer `peer_id` (an ICE restart), keeping "
                                                     "the answer in progress.")


class OfferAnswer(BaseModel):
    peer_id: str = Field(description="The peer's id (a UUID4): for PATCH (candidates), DELETE and restarts.")
    sdp: str
    type: Literal["answer"] = "answer"


class IceCandidate(BaseModel):
    """An ``RTCIceCandidateInit`` as the browser's ``icecandidate`` event gives it (the browser's names)."""

    model_config = ConfigDict(extra="forbid")

    candidate: Annotated[str, Field(max_length=1024, description="`candidate:…`; empty for end of candidates.")]
    sdpMid: Annotated[str, Field(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, Field(max_length=256)] | None = None


class CandidatesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    peer_id: PeerId
    candidates: Annotated[list[IceCandidate], Field(min_length=1, max_length=MAX_CANDIDATES)]


async def webrtc_offer(call: Call[OfferRequest, NoQuery]) -> OfferAnswer:
    """Start (or restart) the live connection: send the browser's offer, get the server's answer."""
    require_consent(call.record)
    session = await session_for(call, call.path["interview_id"])
    if session.finished:
        raise Conflict("the interview is finished", code="illegal_state")
    consent = await call.services.consents.latest(session.id)
    if consent is None or not consent.transcription:
        raise Conflict("a live answer needs the candidate's consent to transcription",
                       code="transcription_not_consented")
    body = call.body
    check_offer(body.sdp)  # a bad offer never disturbs the live peer, on this server or another
    await call.services.media.close_elsewhere(call, peer_id=body.peer_id, restart=body.restart)
    peer_id, sdp = await call.services.media.offer(call, session, consent, body.sdp, peer_id=body.peer_id,
                                                   restart=body.restart)
    return OfferAnswer(peer_id=peer_id, sdp=sdp)


async def webrtc_candidates(call: Call[CandidatesRequest, NoQuery]) -> Response | None:
    """Add ICE candidates the browser gathered after its offer (trickle ICE)."""
    require_consent(call.record)
    if (held_elsewhere := await call.services.media.elsewhere(call, call.body.peer_id)) is not None:
        return held_elsewhere
    await call.services.media.add_candidates(call.path["interview_id"], call.body.peer_id,
                                             [c.model_dump() for c in call.body.candidates])
    return None


async def webrtc_leave(call: Call[None, NoQuery]) -> Response | None:
    """Leave: close the peer and everything it runs. The answer in progress stays as the draft."""
    if (held_elsewhere := await call.services.media.elsewhere(call, call.path["peer_id"])) is not None:
        return held_elsewhere
    await call.services.media.leave(call.path["interview_id"], call.path["peer_id"])
    return None


async def done_answering(call: Call[None, NoQuery]) -> AnswerAccepted | Response:
    """The candidate is done with the spoken answer: it ends now and is recorded with ``source="speech"``
    (with no live connection, the saved transcript of the answer in progress is)."""
    require_consent(call.record)
    if (held_elsewhere := await call.services.media.elsewhere(call)) is not None:
        return held_elsewhere
    session = await session_for(call, call.path["interview_id"])
    recorded = await call.services.media.done(session, call.record)
    await session.refresh()  # the live listener recorded it through its own session
    return answer_accepted(session, recorded)


_BASE = "/v1/interviews/{interview_id}/webrtc/offer"
_SITTING = Access(candidate=CANDIDATE)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", _BASE, webrtc_offer, "Live: send an SDP offer", TAG, _SITTING, body=OfferRequest,
             response=OfferAnswer, errors=(409, 503)),
    Endpoint("PATCH", _BASE, webrtc_candidates, "Live: add ICE candidates", TAG, _SITTING, body=CandidatesRequest,
             status=204, errors=(409,)),
    Endpoint("DELETE", f"{_BASE}/{{peer_id}}", webrtc_leave, "Live: leave", TAG, _SITTING, status=204),
    Endpoint("POST", "/v1/interviews/{interview_id}/candidate/answers/done", done_answering,
             "Live: done answering", TAG, _SITTING, response=AnswerAccepted, status=201, errors=(409, 503)),
)
