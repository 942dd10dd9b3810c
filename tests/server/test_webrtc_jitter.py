"""The server's audio receivers hand each frame to the transcriber as soon as the packets before it are in,
where aiortc's playout buffer holds four more frames (80 ms) first; reordered packets keep their order."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtp import RtpPacket

from interview_engine_server.media import jitter
from interview_engine_server.media.jitter import InOrderAudioBuffer
from interview_engine_server.media.live import _negotiate


def released(buffer: JitterBuffer, sequence: list[int]) -> list[int | None]:
    """The frame (by packet number) each arriving packet releases, if any."""
    out: list[int | None] = []
    for seq in sequence:
        packet = RtpPacket(payload_type=111, sequence_number=seq, timestamp=seq * 960)
        packet._data = bytes([seq])  # type: ignore[attr-defined]
        _, frame = buffer.add(packet)
        out.append(None if frame is None else frame.timestamp // 960)
    return out


def test_each_frame_is_released_as_its_packet_arrives_in_order() -> None:
    assert released(InOrderAudioBuffer(), [0, 1, 2, 3, 4, 5]) == [0, 1, 2, 3, 4, 5]
    aiortcs = JitterBuffer(capacity=16, prefetch=4)
    assert released(aiortcs, [0, 1, 2, 3, 4, 5]) == [None] * 4 + [0, 1]  # four packets (80 ms) later


def test_a_reordered_packet_waits_for_the_one_it_overtook_and_a_late_one_is_dropped() -> None:
    assert released(InOrderAudioBuffer(), [0, 1, 3, 2, 4, 5]) == [0, 1, None, 2, 3, 4]
    assert released(InOrderAudioBuffer(), [0, 1, 2, 1, 3]) == [0, 1, 2, None, 3]


@pytest.mark.anyio
async def test_the_answer_to_an_offer_gives_audio_receivers_the_in_order_buffer() -> None:
    client, server = RTCPeerConnection(), RTCPeerConnection()
    try:
        client.addTrack(AudioStreamTrack())
        await client.setLocalDescription(await client.createOffer())
        await _negotiate(server, client.localDescription.sdp)
        [transceiver] = server.getTransceivers()
        assert isinstance(getattr(transceiver.receiver, jitter._ATTRIBUTE), InOrderAudioBuffer)
    finally:
        await client.close()
        await server.close()
