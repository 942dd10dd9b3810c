"""The server's audio receivers decode each frame on the event loop as its packet arrives, where aiortc
hands every frame from a decoder thread back to the loop (a task and a wake-up per 20 ms frame)."""

from __future__ import annotations

import asyncio
import threading
from fractions import Fraction

import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCRtpCodecParameters, RTCSessionDescription
from aiortc.codecs.opus import OpusEncoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack
from av import AudioFrame

from interview_engine_server.media import decoding
from interview_engine_server.media.decoding import DecodeOnArrival
from interview_engine_server.media.live import _negotiate

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


def opus_packets(count: int) -> list[bytes]:
    """``count`` 20 ms Opus packets of a 440 Hz tone."""
    encoder, packets = OpusEncoder(), []
    for n in range(count):
        t = (np.arange(960) + n * 960) / 48000
        frame = AudioFrame.from_ndarray((np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")[None, :],
                                        format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48000, n * 960, Fraction(1, 48000)
        payloads, _ = encoder.encode(frame)
        packets.extend(payloads)
    return packets


def audio_decoder_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "audio-decoder" and t.is_alive())


@pytest.mark.anyio
async def test_a_frame_is_on_the_track_queue_as_soon_as_its_packet_is_put() -> None:
    track_queue: asyncio.Queue[AudioFrame | None] = asyncio.Queue()
    decode = DecodeOnArrival(track_queue)
    for n, packet in enumerate(opus_packets(3)):
        decode.put((OPUS, JitterFrame(data=packet, timestamp=n * 960)))
        assert track_queue.qsize() == n + 1  # no hop to another thread and back
    frame = track_queue.get_nowait()
    assert isinstance(frame, AudioFrame) and frame.samples == 960 and frame.sample_rate == 48000


@pytest.mark.anyio
async def test_a_frame_that_does_not_decode_is_dropped_and_counted_and_the_next_still_decodes() -> None:
    track_queue: asyncio.Queue[AudioFrame | None] = asyncio.Queue()
    decode = DecodeOnArrival(track_queue)
    [good] = opus_packets(1)
    decode.put((OPUS, JitterFrame(data=b"\xff" * 3, timestamp=0)))
    assert decode.failed == 1 and track_queue.empty()
    decode.put((OPUS, JitterFrame(data=good, timestamp=960)))
    assert track_queue.qsize() == 1


def test_stopping_releases_the_waiting_decoder_thread() -> None:
    decode = DecodeOnArrival(asyncio.Queue())
    waiter = threading.Thread(target=decode.get)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # aiortc's thread waits, idle, while the receiver runs
    decode.put(None)
    waiter.join(5)
    assert not waiter.is_alive()


@pytest.mark.anyio
async def test_a_real_peers_audio_arrives_decoded_on_the_loop_and_closing_leaves_no_decoder_thread() -> None:
    before = audio_decoder_threads()
    client, server = RTCPeerConnection(), RTCPeerConnection()
    received: list[MediaStreamTrack] = []
    server.on("track", received.append)
    try:
        client.addTrack(AudioStreamTrack())
        await client.setLocalDescription(await client.createOffer())
        answer = await _negotiate(server, client.localDescription.sdp)
        [transceiver] = server.getTransceivers()
        decode = getattr(transceiver.receiver, decoding._ATTRIBUTE)
        assert isinstance(decode, DecodeOnArrival)
        await client.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        async with asyncio.timeout(20):
            frames = [await received[0].recv() for _ in range(5)]
        assert all(isinstance(f, AudioFrame) for f in frames) and decode.failed == 0
    finally:
        await client.close()
        await server.close()
    assert audio_decoder_threads() <= before
