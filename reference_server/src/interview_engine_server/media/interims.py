"""Interim transcripts, newest only: publishing one is a database write, and a transcriber may send them
faster than a busy server writes. One is published at a time; the ones that arrive meanwhile replace each
other, and a final transcript drops the one waiting (it says more) but comes after the one being written,
so the socket never shows an interim after the final that ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Publish = Callable[[dict[str, Any]], Awaitable[object]]


class InterimPublisher:
    """Publishes the newest interim transcript of one answer; see the module docstring."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._waiting: dict[str, Any] | None = None
        self._writing: asyncio.Task[None] | None = None
        self.published = 0
        self.replaced = 0

    def offer(self, data: dict[str, Any]) -> None:
        """Publish ``data`` now, or after the one being written if no newer one comes first."""
        if self._waiting is not None:
            self.replaced += 1
        self._waiting = data
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write(), name="live-interim")

    async def settle(self) -> None:
        """Drop the waiting interim and let the one being written finish (a final comes next)."""
        if self._waiting is not None:
            self.replaced += 1
            self._waiting = None
        if self._writing is not None:
            await asyncio.shield(self._writing)

    async def aclose(self) -> None:
        """Stop: nothing more is published."""
        self._waiting = None
        if self._writing is not None:
            self._writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writing

    async def _write(self) -> None:
        while self._waiting is not None:
            data, self._waiting = self._waiting, None
            try:
                await self._publish(data)
                self.published += 1
            except Exception:  # an interim is only a preview: the final and the draft carry the text
                log.warning("could not publish an interim transcript", exc_info=True)
