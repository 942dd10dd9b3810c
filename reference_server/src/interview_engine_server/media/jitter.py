"""Audio frames for a transcriber as soon as they arrive in order.

aiortc's audio jitter buffer is made for playout: it holds each frame until four later ones have arrived
(80 ms), which was most of the time the server added
between the end of an answer's speech and its final transcript. A transcriber needs no playout
smoothing, and one RTP packet is one whole frame for every audio codec the server takes (Opus, G.722,
PCMU, PCMA), so the server's audio receivers hand each packet on as soon as every packet before it is
there: a reordered packet still waits for the one it overtook, and a late one is still dropped. aiortc has
no setting for this; if its receiver changes shape, its own buffer stays and a warning says so.
"""

from __future__ import annotations

import logging

from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterBuffer, JitterFrame

log = logging.getLogger(__name__)

_ATTRIBUTE = "_RTCRtpReceiver__jitter_buffer"
CAPACITY = 16
"""Packets held while one is missing (aiortc's audio capacity); then the gap is skipped."""


class InOrderAudioBuffer(JitterBuffer):
    """aiortc's jitter buffer, releasing each audio packet as its frame once the packets before it are in."""

    def __init__(self) -> None:
        super().__init__(capacity=CAPACITY)

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        assert self._origin is not None
        packet = self._packets[self._origin % self.capacity]
        if packet is None:
            return None
        self.remove(1)
        return JitterFrame(data=packet._data, timestamp=packet.timestamp)  # type: ignore[attr-defined]


def for_transcription(receiver: RTCRtpReceiver) -> bool:
    """Give an audio receiver (before its first packet) an InOrderAudioBuffer; False if aiortc's stays."""
    if not isinstance(getattr(receiver, _ATTRIBUTE, None), JitterBuffer):
        log.warning("aiortc's RTCRtpReceiver has no jitter buffer where this server expects one; audio keeps "
                    "aiortc's playout delay")
        return False
    setattr(receiver, _ATTRIBUTE, InOrderAudioBuffer())
    return True
