"""Pre-recorded transcription (uploaded answers) and the fake server's protocol details."""

from __future__ import annotations

import json

import anyio
import pytest
from deepgram import AsyncDeepgramClient
from deepgram.environment import DeepgramClientEnvironment
from deepgram.listen.v1.types import ListenV1Metadata, ListenV1Results
from interview_engine_deepgram.testing import FakeDeepgram
from interview_engine_deepgram.transcriber import DeepgramTranscriber

from interview_engine.errors import InvalidAudio, TranscriptionError
from interview_engine.media.audio import wav_bytes
from interview_engine.models import TranscriptionOptions

pytestmark = pytest.mark.anyio


async def test_recording_gives_text_and_segments(deepgram: DeepgramTranscriber, server: FakeDeepgram) -> None:
    pcm = server.speech("I would add an index") + bytes(32000) + server.speech("then check the plan")
    transcript = await deepgram.transcribe(pcm, TranscriptionOptions(language="ko", vocabulary=["Redis"]))
    assert transcript.text == "I would add an index then check the plan"
    assert [s.text for s in transcript.segments] == ["I would add an index", "then check the plan"]
    assert transcript.segments[0].end < transcript.segments[1].start
    upload = server.uploads[0]
    assert upload["model"] == ["nova-3"] and upload["language"] == ["ko"] and upload["keyterm"] == ["Redis"]


@pytest.mark.parametrize(("audio", "message"), [
    (bytes(3201), "odd number of bytes"),
    (wav_bytes(bytes(3200)), "WAV"),
    (b"just some text that is definitely not audio", "text"),
])
async def test_bad_recordings_are_invalid_audio(
    deepgram: DeepgramTranscriber, audio: bytes, message: str
) -> None:
    with pytest.raises(InvalidAudio, match=message):
        await deepgram.transcribe(audio, TranscriptionOptions())


async def test_invalid_key_on_upload(server: FakeDeepgram) -> None:
    transcriber = DeepgramTranscriber(api_key="wrong", api_url=server.api_url, ws_url=server.ws_url)
    with pytest.raises(TranscriptionError, match=r"rejected the API key \(401\)"):
        await transcriber.transcribe(bytes(3200), TranscriptionOptions())
    await transcriber.aclose()


async def test_fake_speaks_deepgrams_message_shapes(server: FakeDeepgram) -> None:
    """Through the SDK's own socket client: Results, Finalize, CloseStream and Metadata."""
    environment = DeepgramClientEnvironment(base=server.api_url, production=server.ws_url,
                                            agent=server.ws_url, agent_rest=server.api_url)
    client = AsyncDeepgramClient(api_key=server.api_key, environment=environment)
    messages = []
    with anyio.fail_after(10):
        async with client.listen.v1.connect(model="nova-3", interim_results="true", encoding="linear16",
                                            sample_rate=16000, endpointing=500) as socket:
            await socket.send_media(server.speech("hello world"))
            await socket.send_finalize()
            await socket.send_keep_alive()
            await socket.send_close_stream()
            messages = [m async for m in socket]
    results = [m for m in messages if isinstance(m, ListenV1Results)]
    assert [r.is_final for r in results] == [False, False, True]
    final = results[-1]
    assert final.from_finalize and final.channel.alternatives[0].transcript == "hello world"
    assert [w.word for w in final.channel.alternatives[0].words] == ["hello", "world"]
    assert isinstance(messages[-1], ListenV1Metadata) and messages[-1].duration == pytest.approx(0.72)
    assert server.connections[0].finalizes == 1 and server.connections[0].keepalives == 1
    json.dumps(messages[-1].dict())  # a well-formed Metadata message
