"""The transcriber's side of its decoder processes (see ``worker``): each is a child process on a Unix
socket pair, driven by an asyncio protocol, so nothing waits on a thread and nothing blocks the event
loop. Streams go to the process with the fewest; a process that dies fails its streams and is replaced
by the next ``pick``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

from .decoding import DecoderConfig
from .wire import FrameReader, pack

log = logging.getLogger(__name__)

EXIT_GRACE_S = 5.0
"""How long a closed process may take to exit before it is killed."""
PROCESS_ENDED = "the pocketsphinx decoder process ended"
PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])

Message = tuple[Any, ...]


class DecoderProcess(asyncio.Protocol):
    """One decoder process and the connection to it. Each open stream has a queue of the messages the
    process sends back for it: ("events", sid, events), ("finished", sid, events) or ("failed", sid, why).
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.streams: dict[int, asyncio.Queue[Message]] = {}
        self.alive = True
        self._ids = itertools.count(1)
        self._reader = FrameReader()
        self._transport: asyncio.Transport | None = None
        self._writable: asyncio.Future[None] | None = None

    @classmethod
    async def start(cls, config: DecoderConfig) -> DecoderProcess:
        ours, theirs = socket.socketpair()
        with theirs:
            process = _spawn(theirs.fileno())
        try:
            _, protocol = await asyncio.get_running_loop().create_connection(lambda: cls(process), sock=ours)
        except BaseException:
            ours.close()
            process.kill()
            process.wait()
            raise
        protocol.send((config,))
        log.debug("pocketsphinx decoder process %d started", process.pid)
        return protocol

    # the stream side

    def open(self, vocabulary: list[str]) -> tuple[int, asyncio.Queue[Message]]:
        """Open a stream; returns its id and the queue its replies arrive on."""
        sid = next(self._ids)
        queue: asyncio.Queue[Message] = asyncio.Queue()
        self.streams[sid] = queue
        if self.alive:
            self.send(("open", sid, vocabulary))
        else:
            queue.put_nowait(("failed", sid, PROCESS_ENDED))
        return sid, queue

    def forget(self, sid: int, *, drop: bool) -> None:
        """The stream is over; ``drop`` tells the process to end it mid-way (the caller gave up)."""
        self.streams.pop(sid, None)
        if drop and self.alive:
            self.send(("drop", sid))

    def send(self, message: Message) -> None:
        assert self._transport is not None
        self._transport.write(pack(message))

    async def drain(self) -> None:
        """Wait while the process is behind (the socket's buffer is full)."""
        if self._writable is not None:
            await asyncio.shield(self._writable)

    async def aclose(self) -> None:
        """Close the socket (the process exits at its end) and reap the process."""
        if self._transport is not None:
            self._transport.close()
        deadline = time.monotonic() + EXIT_GRACE_S
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                log.warning("pocketsphinx decoder process %d did not exit; killing it", self.process.pid)
                self.process.kill()
            await asyncio.sleep(0.02)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        for message in self._reader.feed(data):
            queue = self.streams.get(message[1])
            if queue is not None:
                queue.put_nowait(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        for sid, queue in self.streams.items():
            queue.put_nowait(("failed", sid, PROCESS_ENDED))
        self.resume_writing()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None:
            if not self._writable.done():
                self._writable.set_result(None)
            self._writable = None


def _spawn(fd: int) -> subprocess.Popen[bytes]:
    """Start ``worker`` on the socket ``fd`` with this interpreter (and this package on its path)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen([sys.executable, "-m", "interview_engine_pocketsphinx.worker", str(fd)], pass_fds=[fd],
                            stdin=subprocess.DEVNULL, env=env)


class DecoderProcesses:
    """Up to ``size`` decoder processes, started on first use. Their connections belong to one event loop:
    used from another (a script's second ``asyncio.run``), the transcriber starts fresh ones there."""

    def __init__(self, size: int, config: DecoderConfig) -> None:
        self.size = size
        self.config = config
        self.processes: list[DecoderProcess] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting = asyncio.Lock()

    async def pick(self) -> DecoderProcess:
        """The live process with the fewest streams (starting the missing ones first)."""
        self._own_loop()
        async with self._starting:
            for dead in [p for p in self.processes if not p.alive]:
                self.processes.remove(dead)
                await dead.aclose()
            missing = self.size - len(self.processes)
            if missing > 0:
                self.processes += await asyncio.gather(*(DecoderProcess.start(self.config) for _ in range(missing)))
        return min(self.processes, key=lambda p: len(p.streams))

    async def aclose(self) -> None:
        self._own_loop()
        processes, self.processes = self.processes, []
        await asyncio.gather(*(p.aclose() for p in processes))

    def _own_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            for stale in self.processes:  # their loop is gone or elsewhere: nothing of theirs can run here
                stale.process.kill()
                stale.process.wait()
            self.processes, self._loop, self._starting = [], loop, asyncio.Lock()
