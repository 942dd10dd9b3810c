"""One candidate peer connection and everything it owns: the RTCPeerConnection, the audio reader, the
answer listener, the video watcher and the ICE timer. ``close`` ends all of them; it is idempotent and
safe to call from any of its own tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCPeerConnection

from .listener import AnswerListener
from .track_audio import TrackPcm

log = logging.getLogger(__name__)

PEER_EXISTS = "that peer is live; send restart=true to replace it"
"""Why an offer with a live peer's id but without ``restart`` is refused (409 ``peer_exists``)."""
PEER_REPLACED = "a newer live connection of this interview (another window, a reload) replaced that peer"
"""Why an offer naming a peer that a newer peer replaced is refused (409 ``peer_replaced``): the newest stays."""
OFFER_REPLACED = "a newer offer for this interview replaced this one while it was being answered"
"""Why an offer whose peer a newer offer closed before the answer was ready is refused (409 ``offer_replaced``)."""
FLUSH_GRACE_S = 10.0
"""On close, how long the transcriber may take to finish the answer in progress before it is cancelled."""


class LivePeer:
    """A live connection of one interview's candidate, known by a UUID."""

    def __init__(self, peer_id: str, interview_id: str, tenant_id: str, pc: RTCPeerConnection,
                 on_closed: Callable[[LivePeer], None]) -> None:
        self.peer_id = peer_id
        self.interview_id = interview_id
        self.tenant_id = tenant_id
        self.pc = pc
        self.pcm: TrackPcm | None = None
        self.listener: AnswerListener | None = None
        self.listening: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._closer: asyncio.Task[None] | None = None
        self._on_closed = on_closed

    @property
    def closing(self) -> bool:
        """True once the peer has begun to close."""
        return self._closing

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run ``work`` as a task of this peer: cancelled on close; its failure is logged and closes the peer."""
        task = asyncio.create_task(work, name=f"live-{name}-{self.peer_id}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live peer %s: %s failed", self.peer_id, task.get_name(), exc_info=task.exception())
            self.spawn_close()

    def spawn_close(self) -> None:
        """Close from a callback or from one of the peer's own tasks (which the close cancels)."""
        if not self._closing and self._closer is None:
            self._closer = asyncio.create_task(self.close(), name=f"live-close-{self.peer_id}")

    async def close(self) -> None:
        if self._closing:
            await self.closed.wait()
            return
        self._closing = True
        try:
            current = asyncio.current_task()
            if self.pcm is not None:  # the answer in progress ends: its last words are transcribed and saved
                await self.pcm.aclose()
                if self.listening is not None and self.listening is not current:
                    await asyncio.wait({self.listening}, timeout=FLUSH_GRACE_S)
            tasks = [t for t in self._tasks if t is not current]
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self.pc.close()
        finally:
            self._on_closed(self)
            self.closed.set()
            log.info("live peer %s of interview %s closed", self.peer_id, self.interview_id)
