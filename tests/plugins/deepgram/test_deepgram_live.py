"""Live transcription on the real SDK against the fake server: protocol, keep-alive, reconnection, errors,
leaks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterable, Callable
from typing import Any

import anyio
import pytest
from interview_engine_deepgram.testing import FakeDeepgram
from interview_engine_deepgram.transcriber import DeepgramTranscriber

from interview_engine.errors import ConfigurationError, InvalidAudio, TranscriptionError
from interview_engine.models import TranscriptEvent, TranscriptionOptions
from interview_engine.plugins import ProviderRegistry, build_plugin_manager

pytestmark = pytest.mark.anyio

SCRIPT = "I would add an index on user_id then check the plan with explain analyze"
KO = TranscriptionOptions(language="ko", vocabulary=["PostgreSQL", "Kubernetes"])


async def run(transcriber: DeepgramTranscriber, audio: AsyncIterable[bytes],
              options: TranscriptionOptions = KO) -> list[TranscriptEvent]:
    with anyio.fail_after(30):
        return [e async for e in transcriber.stream(audio, options)]


def finals(events: list[TranscriptEvent]) -> str:
    return " ".join(e.text for e in events if e.kind == "final")


def make(server: FakeDeepgram, **options: Any) -> DeepgramTranscriber:
    return DeepgramTranscriber(api_key=server.api_key, api_url=server.api_url, ws_url=server.ws_url,
                               reconnect_backoff_s=0.01, **options)


async def test_defaults_and_protocol(
    deepgram: DeepgramTranscriber, server: FakeDeepgram, chunks: Any
) -> None:
    pcm = server.speech("I would add an index") + bytes(32000) + server.speech("then check the plan")
    events = await run(deepgram, chunks(pcm))
    params = server.connections[0].params
    assert {k: v[0] for k, v in params.items() if k != "keyterm"} == {
        "model": "nova-3", "language": "ko", "encoding": "linear16", "sample_rate": "16000", "channels": "1",
        "punctuate": "true", "interim_results": "true", "endpointing": "300", "utterance_end_ms": "1000",
    }
    assert params["keyterm"] == ["PostgreSQL", "Kubernetes"]
    kinds = [e.kind for e in events]
    assert kinds.count("final") == 2 and "interim" in kinds and "utterance_end" in kinds
    assert kinds.index("interim") < kinds.index("final") < kinds.index("utterance_end")
    first, second = (e for e in events if e.kind == "final")
    assert (first.text, second.text) == ("I would add an index", "then check the plan")
    assert first.start == 0 and first.end <= second.start < second.end
    assert server.connections[0].closed_by_client


async def test_nova_2_uses_keywords(server: FakeDeepgram, chunks: Any) -> None:
    transcriber = make(server, model="nova-2")
    await run(transcriber, chunks(server.speech("hello")))
    await transcriber.aclose()
    params = server.connections[0].params
    assert params["model"] == ["nova-2"] and params["keywords"] == ["PostgreSQL:2", "Kubernetes:2"]


async def test_keepalive_holds_a_quiet_connection_open(chunks: Any) -> None:
    async with FakeDeepgram(idle_timeout_s=0.5) as server:
        transcriber = make(server, keepalive_s=0.15)

        async def with_a_pause() -> Any:
            async for chunk in chunks(server.speech("first words")):
                yield chunk
            await anyio.sleep(1.5)  # the candidate thinks; no audio flows
            async for chunk in chunks(server.speech("second words")):
                yield chunk

        events = await run(transcriber, with_a_pause())
        await transcriber.aclose()
    assert finals(events) == "first words second words"
    assert len(server.connections) == 1 and server.connections[0].keepalives >= 5


@pytest.mark.parametrize("delay", [0.0, 0.002], ids=["burst", "paced"])
async def test_reconnects_after_a_dropped_socket_without_losing_audio(
    deepgram: DeepgramTranscriber, server: FakeDeepgram, chunks: Any, delay: float
) -> None:
    words = SCRIPT.split()
    first, second = server.speech(" ".join(words[:7])), server.speech(" ".join(words[7:]))
    pcm = first + bytes(16000) + second  # a pause: Deepgram finalises the first half
    reference = await run(deepgram, chunks(pcm, 640, delay))
    server.drop_connection_after(len(first) + 16000 + len(second) // 2)
    events = await run(deepgram, chunks(pcm, 640, delay))
    assert finals(events) == finals(reference) == SCRIPT
    assert len(server.connections) == 3
    dropped, resumed = server.connections[1:]
    assert not dropped.closed_by_client and resumed.closed_by_client
    assert dropped.words + resumed.words == SCRIPT.lower().split()
    # the resumed connection got only the audio no final result had covered, then the rest
    assert dropped.audio_bytes + resumed.audio_bytes >= len(pcm)
    if delay:  # paced like live audio: finals covered the first half before the drop
        assert dropped.words and resumed.audio_bytes < len(pcm) * 0.75
    ends = [e.end for e in events if e.kind == "final"]
    expected = [e.end for e in reference if e.kind == "final"]
    assert ends == pytest.approx(expected), "times stay in the answer's time line"


async def test_gives_up_after_repeated_drops(server: FakeDeepgram, chunks: Any) -> None:
    transcriber = make(server, max_reconnects=2)
    for _ in range(3):
        server.drop_connection_after(3200)
    with pytest.raises(TranscriptionError, match="lost the Deepgram connection 3 times"):
        await run(transcriber, chunks(server.speech(SCRIPT)))
    await transcriber.aclose()


async def test_undecodable_audio_is_not_retried(server: FakeDeepgram, chunks: Any) -> None:
    server.drop_connection_after(3200, 1008, "DATA-0000: The payload cannot be decoded as audio.")
    with pytest.raises(InvalidAudio, match="could not decode the audio: DATA-0000"):
        await run(make(server), chunks(bytes(6400)))
    assert len(server.connections) == 1


async def test_invalid_key_is_a_clear_error(server: FakeDeepgram, chunks: Any) -> None:
    transcriber = DeepgramTranscriber(api_key="wrong", api_url=server.api_url, ws_url=server.ws_url)
    with pytest.raises(TranscriptionError, match=r"rejected the API key \(401\)"):
        await run(transcriber, chunks(server.speech("hello")))
    await transcriber.aclose()
    assert server.rejected == 1, "a 401 is not retried"


async def test_unreachable_server(chunks: Any) -> None:
    async with FakeDeepgram() as gone:
        ws_url = gone.ws_url
    transcriber = DeepgramTranscriber(api_key="k", ws_url=ws_url, max_reconnects=1, reconnect_backoff_s=0.01)
    with pytest.raises(TranscriptionError, match="lost the Deepgram connection 2 times"):
        await run(transcriber, chunks(bytes(3200)))
    await transcriber.aclose()


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="set DEEPGRAM_API_KEY"):
        DeepgramTranscriber()
    with pytest.raises(ConfigurationError, match="nova-3, nova-2"):
        DeepgramTranscriber(api_key="k", model="whisper")


def test_key_from_environment_and_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPGRAM_API_KEY", "from-env")
    registry = ProviderRegistry(build_plugin_manager(allow=["deepgram"]))
    transcriber = registry.create("transcriber", "deepgram", {"model": "nova-2"})
    assert isinstance(transcriber, DeepgramTranscriber)
    assert transcriber._client._client_wrapper.api_key == "from-env"
    anyio.run(transcriber.aclose)


async def test_no_leaked_tasks_sockets_or_threads(
    server: FakeDeepgram, chunks: Any, sockets: Callable[[], int]
) -> None:
    tasks, threads, open_before = len(asyncio.all_tasks()), threading.active_count(), sockets()
    transcriber = make(server)
    pcm = server.speech(SCRIPT)
    await run(transcriber, chunks(pcm))
    server.drop_connection_after(6400)
    await run(transcriber, chunks(pcm))
    await transcriber.transcribe(pcm, KO)
    with anyio.move_on_after(0.2):  # cancelled mid-stream
        await run(transcriber, chunks(pcm, 640, 0.01))
    await transcriber.aclose()
    for _ in range(50):
        if sockets() <= open_before and len(asyncio.all_tasks()) <= tasks:
            break
        await anyio.sleep(0.02)
    assert len(asyncio.all_tasks()) == tasks
    assert threading.active_count() == threads
    assert sockets() == open_before
