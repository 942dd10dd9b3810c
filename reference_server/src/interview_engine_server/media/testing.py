"""A candidate's side of a live interview without a browser, for tests and benchmarks: tracks that send
recorded speech (then silence) and a still face image in real time, an aiortc client peer that signals
through the server's HTTP API, and the server under uvicorn in a thread of the same process (so a test
can count what the server holds)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import uvicorn
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame
from starlette.applications import Starlette

from ..services import Services

FRAME_S = 0.02


class _Paced(MediaStreamTrack):
    """A track that hands out frame ``n`` at ``n * period`` seconds after its first frame."""

    def __init__(self, period_s: float) -> None:
        super().__init__()
        self.period_s = period_s
        self.sent = 0
        self._t0: float | None = None

    async def _pace(self) -> None:
        if self.readyState != "live":
            raise MediaStreamError
        if self._t0 is None:
            self._t0 = time.monotonic()
        wait = self._t0 + self.sent * self.period_s - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.sent += 1


class SpeechTrack(_Paced):
    """Mono PCM16 speech at ``rate`` Hz in 20 ms frames, then silence for as long as the track lives."""

    kind = "audio"

    def __init__(self, pcm: bytes, rate: int) -> None:
        super().__init__(FRAME_S)
        self.samples = np.frombuffer(pcm, "<i2")
        self.rate = rate
        self.spoke_at: float | None = None
        """When the last speech sample went out (time.monotonic)."""

    @property
    def speaking(self) -> bool:
        return self.sent * self.n < len(self.samples)

    @property
    def n(self) -> int:
        return self.rate // 50

    async def recv(self) -> AudioFrame:
        await self._pace()
        start = (self.sent - 1) * self.n
        chunk = self.samples[start:start + self.n]
        if start >= len(self.samples) and self.spoke_at is None:
            self.spoke_at = time.monotonic()
        if len(chunk) < self.n:
            chunk = np.concatenate([chunk, np.zeros(self.n - len(chunk), "<i2")])
        frame = AudioFrame(format="s16", layout="mono", samples=self.n)
        frame.planes[0].update(chunk.tobytes())
        frame.sample_rate, frame.pts, frame.time_base = self.rate, start, Fraction(1, self.rate)
        return frame


class ImageTrack(_Paced):
    """One RGB image as video at ``fps`` frames per second."""

    kind = "video"

    def __init__(self, image: npt.NDArray[np.uint8], fps: float = 5.0) -> None:
        super().__init__(1 / fps)
        self.image = image

    async def recv(self) -> VideoFrame:
        await self._pace()
        frame = VideoFrame.from_ndarray(self.image, format="rgb24")
        frame.pts, frame.time_base = int((self.sent - 1) * self.period_s * 90_000), Fraction(1, 90_000)
        return frame


class LiveCandidate:
    """The candidate's peer: ``connect`` sends an offer through the API and applies the answer."""

    def __init__(self, http: httpx.AsyncClient, interview_id: str, token: str) -> None:
        self.http = http
        self.base = f"/v1/interviews/{interview_id}"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.pc: RTCPeerConnection | None = None
        self.peer_id: str | None = None

    async def offer_sdp(self, *tracks: MediaStreamTrack) -> tuple[RTCPeerConnection, str]:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        for track in tracks:
            pc.addTrack(track)
        await pc.setLocalDescription(await pc.createOffer())
        return pc, pc.localDescription.sdp

    async def post_offer(self, sdp: str, **extra: Any) -> httpx.Response:
        return await self.http.post(f"{self.base}/webrtc/offer", headers=self.headers,
                                    json={"sdp": sdp, "type": "offer", **extra})

    async def connect(self, *tracks: MediaStreamTrack, restart: bool = False) -> None:
        """Replace any earlier connection by one sending ``tracks`` (``restart`` keeps the peer id)."""
        old = self.pc
        pc, sdp = await self.offer_sdp(*tracks)
        extra = {"peer_id": self.peer_id, "restart": True} if restart and self.peer_id else {}
        response = await self.post_offer(sdp, **extra)
        if response.status_code != 200:
            await pc.close()
            raise RuntimeError(f"offer refused: {response.status_code} {response.text}")
        body = response.json()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type=body["type"]))
        self.pc, self.peer_id = pc, body["peer_id"]
        if old is not None:
            await old.close()

    async def connected(self, timeout: float = 15.0) -> None:
        assert self.pc is not None
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if time.monotonic() > deadline:
                raise TimeoutError(f"no connection (state {self.pc.connectionState})")
            await asyncio.sleep(0.05)

    async def done(self) -> httpx.Response:
        return await self.http.post(f"{self.base}/candidate/answers/done", headers=self.headers)

    async def leave(self) -> httpx.Response:
        response = await self.http.delete(f"{self.base}/webrtc/offer/{self.peer_id}", headers=self.headers)
        await self.close()
        return response

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
            self.pc = None


@dataclass
class ThreadServer:
    """The app under uvicorn on 127.0.0.1, its event loop running in a thread of this process."""

    url: str
    services: Services
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine on the server's event loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@contextmanager
def serve_in_thread(app: Starlette, port: int) -> Iterator[ThreadServer]:
    """Serve ``app`` on ``127.0.0.1:port`` until the block ends (the lifespan runs on both edges)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), name="live-server")
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield ThreadServer(f"http://127.0.0.1:{port}", app.state.services, loop)
    finally:
        server.should_exit = True
        thread.join(60)
        loop.close()
