"""The in-process runner: anyio worker tasks with bounded concurrency, fed from the store's outbox."""

from __future__ import annotations

import logging
import math
from contextlib import AsyncExitStack

import anyio
from anyio.abc import TaskGroup

from ..store.base import JobRecord, Store
from .base import JobHandler

log = logging.getLogger(__name__)


class InProcessJobs:
    """Runs jobs on ``concurrency`` worker tasks in this process.

    Pending jobs live in the store, so after a crash the next ``start()`` resumes them. A failing job
    is retried with exponential backoff up to ``max_attempts`` times, then marked failed in the store.
    """

    def __init__(
        self, store: Store, handler: JobHandler, *, concurrency: int = 2, max_attempts: int = 3,
        retry_delay: float = 0.5, shutdown_grace: float = 5.0,
    ) -> None:
        self._store = store
        self._handler = handler
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._shutdown_grace = shutdown_grace
        self._running = 0
        self._running_done = anyio.Event()
        self._send, self._receive = anyio.create_memory_object_stream[JobRecord](math.inf)
        self._keys: set[str] = set()
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
        for job in await self._store.pending_jobs():
            await self.enqueue(job)

    async def enqueue(self, job: JobRecord) -> None:
        if self._stack is None:
            raise RuntimeError("the job runner is not started")
        if job.key in self._keys:
            return
        self._keys.add(job.key)
        self._idle = anyio.Event() if self._idle.is_set() else self._idle
        self._send.send_nowait(job)

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

    async def _worker(self) -> None:
        async for job in self._receive:
            self._running += 1
            self._running_done = anyio.Event() if self._running_done.is_set() else self._running_done
            try:
                await self._run(job)
            finally:
                self._running -= 1
                if not self._running:
                    self._running_done.set()
                self._keys.discard(job.key)
                if not self._keys:
                    self._idle.set()

    async def _run(self, job: JobRecord) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._handler(job)
                return
            except Exception as exc:
                if attempt == self._max_attempts:
                    log.exception("job %s failed after %d attempts", job.key, attempt)
                    await self._give_up(job, exc)
                    return
                log.warning("job %s attempt %d failed (%s); retrying", job.key, attempt, exc)
                await anyio.sleep(self._retry_delay * 2 ** (attempt - 1))

    async def _give_up(self, job: JobRecord, exc: Exception) -> None:
        try:
            await self._store.finish_job(job.key, error=f"{type(exc).__name__}: {exc}")
        except Exception:  # the store itself is down: the job stays queued for the next start
            log.exception("could not mark job %s failed", job.key)
