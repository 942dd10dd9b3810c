"""DecodePool: the worker threads every stream's decodes run on, so inference never blocks the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class DecodeStats:
    """What the pool has done since it started."""

    finals: int = 0
    """Final decodes submitted."""
    interims: int = 0
    """Partial decodes submitted."""
    interims_skipped: int = 0
    """Partials not started because every worker was busy (a final never waits for one)."""
    peak_decodes: int = 0
    """The most decodes that ran at the same moment."""
    peak_pending: int = 0
    """The most decodes queued or running at the same moment."""


class DecodePool:
    """``workers`` threads. Finals queue; a partial starts only when a worker is free, so partials never
    delay a final and a loaded machine shows fewer partials rather than late finals."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = workers
        self.stats = DecodeStats()
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._lock = threading.RLock()  # a future done before add_done_callback calls _forget at once
        self._pending: set[Future[Any]] = set()
        self._running = 0

    def submit_final(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue a decode that must happen."""
        with self._lock:
            self.stats.finals += 1
            return self._submit(fn, args)

    def submit_interim(self, fn: Callable[..., T], *args: Any) -> Future[T] | None:
        """Start a decode now if a worker is free, else do nothing and return None."""
        with self._lock:
            if len(self._pending) >= self.workers:
                self.stats.interims_skipped += 1
                return None
            self.stats.interims += 1
            return self._submit(fn, args)

    def _submit(self, fn: Callable[..., T], args: tuple[Any, ...]) -> Future[T]:
        future = self._executor.submit(self._run, fn, args)
        self._pending.add(future)
        self.stats.peak_pending = max(self.stats.peak_pending, len(self._pending))
        future.add_done_callback(self._forget)
        return future

    def _run(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        with self._lock:
            self._running += 1
            self.stats.peak_decodes = max(self.stats.peak_decodes, self._running)
        try:
            return fn(*args)
        finally:
            with self._lock:
                self._running -= 1

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    async def aclose(self) -> None:
        """Drop queued decodes, wait (without blocking the event loop) for running ones, stop the threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            running = [asyncio.wrap_future(f) for f in self._pending if not f.done()]
        if running:
            await asyncio.wait(running)
        self._executor.shutdown(wait=True)  # the threads are past their last decode: joining is immediate
