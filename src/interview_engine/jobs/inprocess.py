"""The in-process runner: anyio worker tasks with bounded concurrency, fed from the store's outbox."""

from __future__ import annotations

import logging
import math
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import anyio
from anyio.abc import TaskGroup

from ..errors import error_summary
from ..models import utcnow
from ..store.base import JobRecord, Store
from .base import JobHandler
from .outbox import sweep_outbox, sweep_periodically
from .retry import RetryPolicy, attempt_job

log = logging.getLogger(__name__)


class InProcessJobs:
    """Runs outbox jobs on ``concurrency`` worker tasks in this process.

    Each queued job is held once and run at its ``next_attempt_at``; it comes from ``enqueue``, from the
    outbox read at start, or from the sweep every ``sweep_interval_s`` (which finds jobs other processes
    stored, or whose hand-over was lost). Attempts follow ``policy`` (see ``attempt_job``): a failed run is
    deferred in the store, and the last one gives up through the handler. While the store itself is
    unreachable the job is retried from memory with the same backoff; after a restart, from the store.
    """

    def __init__(
        self, store: Store, handler: JobHandler, *, concurrency: int = 2, policy: RetryPolicy | None = None,
        sweep_interval_s: float = 30.0, shutdown_grace: float = 5.0,
    ) -> None:
        self._store = store
        self._handler = handler
        self._concurrency = concurrency
        self._policy = policy or RetryPolicy()
        self._sweep_interval_s = sweep_interval_s
        self._shutdown_grace = shutdown_grace
        self._running = 0
        self._running_done = anyio.Event()
        self._send, self._receive = anyio.create_memory_object_stream[str](math.inf)
        self._held: dict[str, int] = {}  # job key -> attempts in a row that could not reach the store
        self._idle = anyio.Event()
        self._idle.set()
        self._stack: AsyncExitStack | None = None
        self._tg: TaskGroup | None = None

    async def start(self) -> None:
        if self._stack is not None:
            return
        stack = AsyncExitStack()
        self._tg = await stack.enter_async_context(anyio.create_task_group())
        stack.callback(self._tg.cancel_scope.cancel)
        self._stack = stack
        for _ in range(self._concurrency):
            self._tg.start_soon(self._worker)
        await sweep_outbox(self._store, self.enqueue)
        self._tg.start_soon(sweep_periodically, self._store, self.enqueue, self._sweep_interval_s)

    async def enqueue(self, job: JobRecord) -> None:
        if self._stack is None:
            log.debug("job %s waits in the outbox: this runner is not started", job.key)
            return
        if job.key in self._held:
            return
        self._held[job.key] = 0
        self._idle = anyio.Event() if self._idle.is_set() else self._idle
        self._schedule(job.key, job.next_attempt_at)

    async def drain(self, timeout: float | None = None) -> None:
        with anyio.fail_after(timeout):
            await self._idle.wait()

    async def aclose(self) -> None:
        """Stop taking jobs, give running ones ``shutdown_grace`` seconds, then cancel them. Jobs not
        finished stay queued in the store for the next start."""
        if self._stack is None:
            return
        stack, self._stack = self._stack, None
        self._send.close()
        if self._running:
            with anyio.move_on_after(self._shutdown_grace):
                await self._running_done.wait()
        await stack.aclose()

    def _schedule(self, key: str, due: datetime) -> None:
        wait = (due - utcnow()).total_seconds()
        if wait > 0:
            assert self._tg is not None
            self._tg.start_soon(self._release_after, key, wait)
        else:
            self._ready(key)

    async def _release_after(self, key: str, wait: float) -> None:
        await anyio.sleep(wait)
        self._ready(key)

    def _ready(self, key: str) -> None:
        try:
            self._send.send_nowait(key)
        except anyio.ClosedResourceError:  # shutting down: the job stays queued in the store
            pass

    async def _worker(self) -> None:
        async for key in self._receive:
            self._running += 1
            self._running_done = anyio.Event() if self._running_done.is_set() else self._running_done
            try:
                retry_at = await self._attempt(key)
            finally:
                self._running -= 1
                if not self._running:
                    self._running_done.set()
            if retry_at is None:
                self._release(key)
            else:
                self._schedule(key, retry_at)

    async def _attempt(self, key: str) -> datetime | None:
        try:
            retry_at = await attempt_job(self._store, self._handler, key, self._policy)
        except Exception as exc:
            failures = self._held[key] = self._held[key] + 1
            wait = self._policy.delay_s(failures)
            log.warning("job %s could not reach the store (%s); trying again in %.1f s", key,
                        error_summary(exc), wait)
            return utcnow() + timedelta(seconds=wait)
        self._held[key] = 0
        return retry_at

    def _release(self, key: str) -> None:
        del self._held[key]
        if not self._held:
            self._idle.set()
