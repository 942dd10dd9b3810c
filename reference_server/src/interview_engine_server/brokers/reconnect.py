"""The listen-and-reconnect loop the network brokers share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def keep_listening(
    name: str, listen_once: Callable[[], Awaitable[None]], *, first_delay_s: float = 0.1, max_delay_s: float = 5.0
) -> None:
    """Run ``listen_once`` (which returns or raises when its connection is lost) again and again, waiting
    with exponential backoff between failures, until cancelled."""
    delay = first_delay_s
    while True:
        started = asyncio.get_running_loop().time()
        try:
            await listen_once()
            log.warning("%s listener connection closed; reconnecting", name)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s listener lost its connection (%s: %s); reconnecting in %.1f s", name,
                        type(exc).__name__, exc, delay)
        if asyncio.get_running_loop().time() - started > max_delay_s:
            delay = first_delay_s  # it was up for a while: this is a fresh failure
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay_s)


class ListenLoop:
    """A background task running ``keep_listening`` from ``start`` until ``stop``."""

    def __init__(self, name: str, listen_once: Callable[[], Awaitable[None]]) -> None:
        self._name, self._listen_once = name, listen_once
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(keep_listening(self._name, self._listen_once), name=f"{self._name}-listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
