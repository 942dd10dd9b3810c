"""Decoding runs in the transcriber's own decoder processes, not in the caller's (PocketSphinx holds the
GIL while it decodes): streams spread over them, a process that dies fails only its streams and is
replaced, and closing the transcriber ends every process."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable

import anyio
import pytest
from interview_engine_pocketsphinx.transcriber import PocketsphinxTranscriber

from interview_engine.errors import TranscriptionError
from interview_engine.models import TranscriptionOptions

pytestmark = pytest.mark.anyio


async def paced(pcm: bytes, started: asyncio.Event | None = None) -> AsyncIterator[bytes]:
    """20 ms chunks, a little faster than real time; then endless silence."""
    for at in range(0, len(pcm), 640):
        yield pcm[at:at + 640]
        if started is not None:
            started.set()
        await asyncio.sleep(0.005)
    while True:
        yield bytes(640)
        await asyncio.sleep(0.005)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_streams_decode_in_separate_processes_and_close_ends_them(say: Callable[[str], bytes]) -> None:
    provider = PocketsphinxTranscriber(workers=2)
    pcm = say("hello world")
    transcripts = [t for t in await asyncio.gather(*(provider.transcribe(pcm, TranscriptionOptions())
                                                     for _ in range(3)))]
    assert all("hello" in t.text for t in transcripts)
    pids = [p.process.pid for p in provider._processes.processes]
    assert len(set(pids)) == 2 and os.getpid() not in pids and all(alive(pid) for pid in pids)
    await provider.aclose()
    assert provider._processes.processes == [] and not any(alive(pid) for pid in pids)


async def test_a_decoder_process_that_dies_fails_its_stream_and_is_replaced(say: Callable[[str], bytes]) -> None:
    provider = PocketsphinxTranscriber(workers=1)
    try:
        started = asyncio.Event()
        events = provider.stream(paced(say("our team reviewed every pull request"), started), TranscriptionOptions())
        first = asyncio.ensure_future(anext(events))
        await started.wait()
        [process] = provider._processes.processes
        os.kill(process.process.pid, signal.SIGKILL)
        with pytest.raises(TranscriptionError, match="decoder process ended"), anyio.fail_after(30):
            await first
            async for _ in events:
                pass
        again = await provider.transcribe(say("hello world"), TranscriptionOptions())
        assert "hello" in again.text
        [replacement] = provider._processes.processes
        assert replacement.process.pid != process.process.pid and not alive(process.process.pid)
    finally:
        await provider.aclose()


def test_a_transcriber_used_from_a_second_event_loop_starts_fresh_processes(say: Callable[[str], bytes]) -> None:
    provider = PocketsphinxTranscriber(workers=1)
    pcm = say("hello world")
    first = asyncio.run(provider.transcribe(pcm, TranscriptionOptions()))
    [old] = provider._processes.processes
    second = asyncio.run(provider.transcribe(pcm, TranscriptionOptions()))
    [new] = provider._processes.processes
    asyncio.run(provider.aclose())
    assert "hello" in first.text and second.text == first.text
    assert new.process.pid != old.process.pid and not alive(old.process.pid) and not alive(new.process.pid)
