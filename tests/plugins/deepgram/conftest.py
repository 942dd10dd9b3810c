"""The fake Deepgram server (127.0.0.1, started and stopped per test) and a transcriber pointed at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import anyio
import pytest
from interview_engine_deepgram.testing import FakeDeepgram
from interview_engine_deepgram.transcriber import DeepgramTranscriber


@pytest.fixture
async def server() -> AsyncIterator[FakeDeepgram]:
    async with FakeDeepgram() as fake:
        yield fake


@pytest.fixture
async def deepgram(server: FakeDeepgram) -> AsyncIterator[DeepgramTranscriber]:
    transcriber = DeepgramTranscriber(api_key=server.api_key, api_url=server.api_url, ws_url=server.ws_url,
                                      reconnect_backoff_s=0.01)
    yield transcriber
    await transcriber.aclose()


def open_sockets() -> int:
    """Sockets this process holds open."""
    fds = os.listdir("/proc/self/fd")
    count = 0
    for fd in fds:
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return count


@pytest.fixture
def sockets() -> object:
    return open_sockets


async def paced(pcm: bytes, chunk: int = 640, delay: float = 0.0) -> AsyncIterator[bytes]:
    for at in range(0, len(pcm), chunk):
        if delay:
            await anyio.sleep(delay)
        yield pcm[at:at + chunk]


@pytest.fixture
def chunks() -> object:
    """``chunks(pcm, chunk=640, delay=0.0)``: audio as an async stream of chunks, optionally paced."""
    return paced
