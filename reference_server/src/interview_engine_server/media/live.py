"""The live peers of this server process: offers, trickled candidates, ICE restarts, "done answering",
leaving, and closing everything at shutdown.

Peers live in the process that answered their offer. Behind a load balancer, either route an interview's
live requests to one server (by interview id), or give each server ``live_server_url``: then the servers
record which of them holds each interview's peer (:mod:`.owners`) and pass a live request for a peer held
elsewhere on to its holder (:mod:`.forwarding`). One peer per interview at a time: a new offer replaces
the interview's older peer (a reload, a second tab), and an offer with the same ``peer_id`` and
``restart`` replaces it keeping the id (aiortc has no in-place ICE restart), or starts it again where the
server closed it (a server that stopped, the ICE timeout); a peer that a newer one replaced stays closed.
The answer in progress belongs to the interview, not the peer, so a replacement continues it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import OperationError
from aiortc.mediastreams import MediaStreamTrack

from interview_engine import EmotionAnalyzer, Session, Transcriber

from ..answering import Recorded, record_answer
from ..consents import Consent
from ..errors import Conflict, Invalid, NotFound, Unavailable
from ..records import InterviewRecord
from .decoding import decode_on_arrival
from .forwarding import Forwarder
from .ice import ice_servers, rtc_configuration
from .jitter import for_transcription
from .listener import AnswerListener
from .owners import PeerOwner, PeerOwners
from .peer import OFFER_REPLACED, PEER_EXISTS, PEER_REPLACED, LivePeer
from .progress import AnswerInProgress
from .sdp import check_offer, parse_candidate
from .track_audio import TrackPcm
from .watcher import drain, watch

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..routing import Call
    from ..services import Services

log = logging.getLogger(__name__)

DONE_TIMEOUT_S = 30.0
MAX_PROGRESS = 10_000
"""Answers in progress kept for interviews without a peer (waiting for a reconnect), oldest forgotten."""
UNSUPPORTED_CODEC = ("the offer has no codec this server can decode (audio: Opus, G.722, PCMU or PCMA; "
                     "video: VP8 or H.264)")


class LiveMedia:
    """Every live peer of this process; see the module docstring."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.peers: dict[str, LivePeer] = {}
        self.progress: OrderedDict[str, AnswerInProgress] = OrderedDict()
        url = services.settings.live_server_url
        self.owners = PeerOwners(services.db, url) if url else None
        self.forwarder = Forwarder(self.owners) if self.owners is not None else None
        self._releases: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        """Release what this server recorded holding before it last stopped (with ``live_server_url``)."""
        if self.owners is not None and (left := await self.owners.release_all()):
            log.info("released %d live peers this server held before it stopped", left)

    async def elsewhere(self, call: Call[Any, Any], peer_id: str | None = None) -> Response | None:
        """The reply of another server that holds this interview's peer (``peer_id``, or whichever it
        holds); None when this process answers the call itself."""
        if self.forwarder is None or self._holds(call.path["interview_id"], peer_id):
            return None
        return await self.forwarder.reply_from_holder(call, peer_id)

    async def close_elsewhere(self, call: Call[Any, Any], *, peer_id: str | None, restart: bool) -> None:
        """Before a new offer: close the interview's peer if another server holds it."""
        if self.forwarder is not None:
            await self.forwarder.close_at_holder(call, peer_id=peer_id, restart=restart)

    def _holds(self, interview_id: str, peer_id: str | None) -> bool:
        if peer_id is None:
            return self.peer_of(interview_id) is not None
        peer = self.peers.get(peer_id)
        return peer is not None and peer.interview_id == interview_id

    def peer_of(self, interview_id: str) -> LivePeer | None:
        return next((p for p in self.peers.values() if p.interview_id == interview_id), None)

    async def offer(self, call: Call[Any, Any], session: Session, consent: Consent, sdp: str, *,
                    peer_id: str | None, restart: bool) -> tuple[str, str]:
        """Answer a candidate's offer (``call``) for ``session``; returns (peer id, SDP answer)."""
        check_offer(sdp)
        existing = self.peers.get(peer_id) if peer_id else None
        if existing is not None and (existing.interview_id != session.id or not restart):
            raise Conflict(PEER_EXISTS, code="peer_exists")
        if peer_id is not None and existing is None and self.peer_of(session.id) is not None:
            raise Conflict(PEER_REPLACED, code="peer_replaced")
        transcriber = await self.services.engine.transcriber()
        if transcriber is None:
            raise Unavailable("speech recognition is not configured on this server", code="speech_unavailable")
        analyzer = None
        if consent.emotion_analysis and session.spec.emotion_analysis:
            analyzer = await self.services.engine.emotion_analyzer()
        while (old := self.peer_of(session.id)) is not None:  # an offer arriving meanwhile may add one
            await old.close()
        if len(self.peers) >= self.services.settings.live_max_peers:
            raise Unavailable("this server holds as many live interviews as it can; try again shortly",
                              code="live_capacity")
        pc = RTCPeerConnection(rtc_configuration(ice_servers(self.services.settings, session.id)))
        peer = LivePeer(peer_id or str(uuid.uuid4()), session.id, session.tenant, pc, self._forget)
        self.peers[peer.peer_id] = peer
        try:
            self._wire(peer, session, transcriber, analyzer)
            answer = await _negotiate(pc, sdp)
            if self.owners is not None:
                if (releasing := self._releases.get(session.id)) is not None:
                    await asyncio.wait({releasing})  # the replaced peer's row goes before this one's
                if (replaced := await self.owners.claim(session.id, peer.peer_id)) is not None:
                    await self._close_replaced(call, replaced)
        except BaseException as exc:
            superseded = isinstance(exc, Exception) and peer.closing  # a newer offer closed it meanwhile
            await peer.close()
            if superseded:
                raise Conflict(OFFER_REPLACED, code="offer_replaced") from None
            raise
        peer.spawn(self._ice_deadline(peer), "ice-timer")
        return peer.peer_id, answer

    async def _close_replaced(self, call: Call[Any, Any], replaced: PeerOwner) -> None:
        """Close the peer an offer's claim replaced (never the offer's own: a claim does not return that):
        one answered at the same time, here or on another server, which the offer found no peer to close
        before it began."""
        assert self.owners is not None and self.forwarder is not None
        if replaced.server_url != self.owners.server_url:
            await self.forwarder.close_peer(call, replaced)
        elif (old := self.peers.get(replaced.peer_id)) is not None:
            await old.close()

    async def add_candidates(self, interview_id: str, peer_id: str, candidates: Sequence[dict[str, Any]]) -> None:
        """Add trickled ICE candidates (dicts with candidate, sdpMid, sdpMLineIndex) to a live peer."""
        peer = self._peer(interview_id, peer_id)
        parsed = [parse_candidate(c["candidate"], c.get("sdpMid"), c.get("sdpMLineIndex")) for c in candidates]
        for candidate in parsed:
            if candidate is not None:
                await peer.pc.addIceCandidate(candidate)

    async def leave(self, interview_id: str, peer_id: str) -> None:
        """The candidate left: close the peer and all it owns (the answer in progress stays a draft)."""
        await self._peer(interview_id, peer_id).close()
        if (releasing := self._releases.get(interview_id)) is not None:
            await asyncio.wait({releasing})  # then an offer on another server that closed it claims a free row

    async def done(self, session: Session, record: InterviewRecord) -> Recorded:
        """The candidate is done answering: end the live answer and record it. With no live peer in this
        process, the saved transcript of the answer in progress is recorded."""
        peer = self.peer_of(session.id)
        listening = peer is not None and peer.listening is not None and not peer.listening.done()
        if peer is not None and peer.listener is not None and listening:
            try:
                result = await asyncio.wait_for(peer.listener.done(), DONE_TIMEOUT_S)
            except TimeoutError:
                raise Unavailable("the transcript did not finish in time; try again", code="transcriber_slow") \
                    from None
            if result is None:
                raise Conflict("nothing was heard in this answer", code="no_speech")
            return result
        question = session.current_question
        draft = await self.services.drafts.get(session.id, question.id) if question else None
        if question is None or draft is None or not draft.text.strip():
            raise Conflict("there is no spoken answer in progress", code="no_live_answer")
        self.progress.pop(session.id, None)
        return await record_answer(self.services, session, record, question.id, draft.text, source="speech")

    async def aclose(self) -> None:
        """Close every peer (server shutdown)."""
        await asyncio.gather(*(p.close() for p in list(self.peers.values())), return_exceptions=True)
        if self._releases:
            await asyncio.wait(set(self._releases.values()))
        if self.forwarder is not None:
            await self.forwarder.aclose()

    def _peer(self, interview_id: str, peer_id: str) -> LivePeer:
        peer = self.peers.get(peer_id)
        if peer is None or peer.interview_id != interview_id:
            raise NotFound("no such live peer in this server process")
        return peer

    def _wire(self, peer: LivePeer, session: Session, transcriber: Transcriber,
              analyzer: EmotionAnalyzer | None) -> None:
        """Start the work for each track as it is announced, and close the peer when its connection fails."""
        settings = self.services.settings

        @peer.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            nonlocal analyzer
            if track.kind == "audio" and peer.pcm is None:
                peer.pcm = TrackPcm(track, idle_s=settings.live_audio_idle_s)
                peer.pcm.start()
                peer.listener = AnswerListener(self.services, session, transcriber, peer.pcm, self.progress)
                peer.listening = peer.spawn(self._listen(peer, peer.listener), "audio")
            elif track.kind == "video" and analyzer is not None:
                publish = self._proctoring_publisher(session)
                peer.spawn(watch(track, session, analyzer, interval_s=settings.live_frame_interval_s,
                                 publish=publish, consented=self._emotion_consent(session)), "video")
                analyzer = None  # one camera per peer
            else:
                peer.spawn(drain(track), f"drain-{track.kind}")

        @peer.pc.on("connectionstatechange")
        def on_state() -> None:
            if peer.pc.connectionState in ("failed", "closed"):
                log.info("live peer %s: connection %s", peer.peer_id, peer.pc.connectionState)
                peer.spawn_close()

    def _proctoring_publisher(self, session: Session) -> Any:
        async def publish(data: dict[str, Any]) -> None:
            await self.services.events.publish(tenant_id=session.tenant, interview_id=session.id,
                                               type="proctoring.signal", data=data, recruiter_only=True)
        return publish

    def _emotion_consent(self, session: Session) -> Any:
        async def consented() -> bool:
            consent = await self.services.consents.latest(session.id)
            return consent is not None and consent.emotion_analysis
        return consented

    async def _listen(self, peer: LivePeer, listener: AnswerListener) -> None:
        await listener.run()
        if listener.pcm.ended:  # the candidate stopped the microphone or closed the tab
            peer.spawn_close()

    async def _ice_deadline(self, peer: LivePeer) -> None:
        await asyncio.sleep(self.services.settings.ice_timeout_s)
        if peer.pc.connectionState != "connected":
            log.info("live peer %s: no connection after %.0f s; closing", peer.peer_id,
                     self.services.settings.ice_timeout_s)
            peer.spawn_close()

    def _forget(self, peer: LivePeer) -> None:
        if self.peers.get(peer.peer_id) is peer:
            del self.peers[peer.peer_id]
        if self.owners is not None:
            self._release(peer)
        if peer.interview_id in self.progress:
            self.progress.move_to_end(peer.interview_id)
        while len(self.progress) > MAX_PROGRESS:
            self.progress.popitem(last=False)

    def _release(self, peer: LivePeer) -> None:
        """Drop the peer's row in the background (the close that calls this may be a callback)."""
        assert self.owners is not None
        owners, interview_id, before = self.owners, peer.interview_id, self._releases.get(peer.interview_id)

        async def release() -> None:
            if before is not None:
                await asyncio.wait({before})
            try:
                await owners.release(interview_id, peer.peer_id)
            except Exception:  # the row stays until this server restarts or another claims the interview
                log.warning("could not release live peer %s", peer.peer_id, exc_info=True)

        def released(task: asyncio.Task[None]) -> None:
            if self._releases.get(interview_id) is task:
                del self._releases[interview_id]

        task = asyncio.create_task(release(), name=f"live-release-{peer.peer_id}")
        self._releases[interview_id] = task
        task.add_done_callback(released)


async def _negotiate(pc: RTCPeerConnection, sdp: str) -> str:
    """Apply the offer and return the answer's SDP (with this side's candidates gathered)."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
    except OperationError:
        raise Invalid(UNSUPPORTED_CODEC, code="unsupported_codec") from None
    except Exception:  # aiortc's checks raise ValueError and others on inconsistent SDP
        log.debug("offer refused", exc_info=True)
        raise Invalid("the offer is not valid SDP", code="invalid_sdp") from None
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "audio":
            for_transcription(transceiver.receiver)
            decode_on_arrival(transceiver.receiver)
    await pc.setLocalDescription(await pc.createAnswer())
    return str(pc.localDescription.sdp)
