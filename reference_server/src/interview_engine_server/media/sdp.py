"""Checking what a browser sends before a peer connection sees it: the offer's SDP (an audio track the
candidate sends is required; video is optional) and trickled ICE candidates. Every problem is a 422
with a code the widget can act on."""

from __future__ import annotations

from aiortc import RTCIceCandidate
from aiortc.sdp import SessionDescription, candidate_from_sdp

from ..errors import Invalid

MAX_SDP_CHARS = 65_536
SENDING = (None, "sendrecv", "sendonly")
"""Directions in which the candidate sends media (no direction attribute means sendrecv)."""


def check_offer(sdp: str) -> SessionDescription:
    """The parsed offer; Invalid (``invalid_sdp`` or ``no_audio``) when it cannot be used."""
    try:
        description = SessionDescription.parse(sdp)
    except Exception:  # aiortc's parser raises whatever the bad line provokes
        raise Invalid("the offer is not valid SDP", code="invalid_sdp") from None
    if not description.media or any(m.kind not in ("audio", "video", "application") for m in description.media):
        raise Invalid("the offer is not valid SDP: it has no usable media section", code="invalid_sdp")
    for media in description.media:
        ice = media.ice
        if media.kind != "application" and (ice is None or not (ice.usernameFragment and ice.password)):
            raise Invalid("the offer is not valid SDP: ICE credentials are missing", code="invalid_sdp")
    if not any(m.kind == "audio" and m.direction in SENDING and m.port != 0 for m in description.media):
        raise Invalid("the offer has no microphone track; a live answer needs audio", code="no_audio")
    return description


def parse_candidate(candidate: str, sdp_mid: str | None, sdp_mline_index: int | None) -> RTCIceCandidate | None:
    """A trickled candidate as aiortc takes it; None for the end-of-candidates marker (empty string)."""
    text = candidate.removeprefix("a=").removeprefix("candidate:")
    if not text.strip():
        return None
    try:
        parsed = candidate_from_sdp(text)
    except Exception:
        raise Invalid("an ICE candidate is not valid", code="invalid_candidate") from None
    if sdp_mid is None and sdp_mline_index is None:
        raise Invalid("an ICE candidate needs sdpMid or sdpMLineIndex", code="invalid_candidate")
    parsed.sdpMid, parsed.sdpMLineIndex = sdp_mid, sdp_mline_index
    return parsed
