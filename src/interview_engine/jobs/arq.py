"""The arq runner: jobs go to Redis and any number of `interview-engine worker` processes run them.

arq keeps a job in its queue until a worker finishes it; a job whose worker died is picked up again
once its in-progress lease runs out: the job timeout (evaluation_timeout_s + JOB_TIMEOUT_MARGIN_S) plus
arq's ten seconds. Our handlers are idempotent by key, so that second run cannot leave a second
evaluation.

The store, not arq, keeps each job's attempts: a worker runs ``Engine.attempt_job`` and turns "attempt
again at t" into arq's ``Retry`` (arq itself would treat any other exception as final). arq keeps no
results, so a job id is never blocked: whenever the outbox sends a job that arq no longer holds (its
enqueue was lost while Redis was down, arq dropped it), it runs.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import anyio

from ..errors import ConfigurationError, error_summary
from ..models import utcnow
from ..store.base import JobRecord, Store
from .outbox import sweep_outbox, sweep_periodically

if TYPE_CHECKING:
    from ..engine import Engine
    from ..settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "interview_engine:jobs"
RUN_JOB = "interview_engine_run_job"
DRAIN_POLL_S = 0.1
JOB_TIMEOUT_MARGIN_S = 5.0
ENQUEUE_TIMEOUT_S = 5.0
ARQ_MAX_TRIES = 10_000
"""arq's own limit on runs of one job. The store's attempt count decides when a job gives up; arq's count
also includes runs that could not reach the store, so it only stops a runaway loop (and a job arq drops is
sent again by the outbox sweep)."""


def _redis_settings(url: str) -> Any:
    try:
        from arq.connections import RedisSettings
    except ModuleNotFoundError as exc:
        raise ConfigurationError("jobs = 'arq' needs arq: pip install 'interview-engine[arq]'") from exc
    return RedisSettings.from_dsn(url)


class ArqJobs:
    """Enqueues outbox jobs on Redis for arq workers, and sweeps the outbox every ``sweep_interval_s`` for
    queued jobs that never reached Redis; the engine process itself runs none."""

    def __init__(self, store: Store, redis_url: str, *, queue_name: str = QUEUE_NAME,
                 sweep_interval_s: float = 30.0) -> None:
        self._store = store
        self._redis_settings = _redis_settings(redis_url)
        self._queue_name = queue_name
        self._sweep_interval_s = sweep_interval_s
        self._pool: Any = None
        self._stack: AsyncExitStack | None = None
        self._enqueued: set[str] = set()

    async def start(self) -> None:
        from arq import create_pool

        if self._stack is not None:
            return
        try:
            pool = await create_pool(self._redis_settings, default_queue_name=self._queue_name)
        except (OSError, ConnectionError) as exc:
            raise ConfigurationError(f"cannot reach Redis for arq jobs: {exc}") from exc
        stack = AsyncExitStack()
        stack.push_async_callback(pool.aclose)
        tg = await stack.enter_async_context(anyio.create_task_group())
        stack.callback(tg.cancel_scope.cancel)
        self._pool, self._stack = pool, stack
        await sweep_outbox(self._store, self.enqueue)
        tg.start_soon(sweep_periodically, self._store, self.enqueue, self._sweep_interval_s)

    async def enqueue(self, job: JobRecord) -> None:
        """Send the job to Redis, deferred to its ``next_attempt_at``; a job arq still holds is left as it
        is. Raises when Redis cannot be reached within ENQUEUE_TIMEOUT_S."""
        if self._pool is None:
            log.debug("job %s waits in the outbox: this runner is not started", job.key)
            return
        self._enqueued.add(job.key)
        due = job.next_attempt_at if job.next_attempt_at > utcnow() else None
        with anyio.fail_after(ENQUEUE_TIMEOUT_S):
            await self._pool.enqueue_job(RUN_JOB, job.model_dump(mode="json"), _job_id=job.key, _defer_until=due)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until the store shows every job this runner enqueued as finished."""
        with anyio.fail_after(timeout):
            while self._enqueued:
                queued = {j.key for j in await self._store.pending_jobs()}
                self._enqueued &= queued
                if self._enqueued:
                    await anyio.sleep(DRAIN_POLL_S)

    async def aclose(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._pool = self._stack, None, None
            await stack.aclose()


async def _run_job(ctx: dict[str, Any], payload: dict[str, Any]) -> None:
    """One attempt of an outbox job in an arq worker; a job to attempt again goes back to arq as ``Retry``."""
    from arq import Retry

    engine: Engine = ctx["engine"]
    key = JobRecord.model_validate(payload).key
    try:
        retry_at = await engine.attempt_job(key)
    except Exception as exc:  # the store is unreachable: no attempt recorded, try again later
        wait = engine.retry_policy.delay_s(ctx["job_try"])
        log.warning("job %s could not reach the store (%s); retrying in %.1f s", key, error_summary(exc), wait)
        raise Retry(defer=wait) from exc
    if retry_at is not None:
        raise Retry(defer=max(0.0, (retry_at - utcnow()).total_seconds()))


def build_worker(engine: Engine, settings: Settings, *, burst: bool = False, handle_signals: bool = True) -> Any:
    """An arq Worker that runs the engine's jobs; ``burst`` stops it once the queue is empty."""
    from arq.worker import Worker, func

    return Worker(
        functions=[func(_run_job, name=RUN_JOB, max_tries=ARQ_MAX_TRIES, keep_result=0)],
        redis_settings=_redis_settings(settings.redis_url),
        queue_name=QUEUE_NAME,
        ctx={"engine": engine},
        job_timeout=settings.evaluation_timeout_s + JOB_TIMEOUT_MARGIN_S,
        keep_result=0,
        max_jobs=settings.job_concurrency,
        burst=burst,
        poll_delay=0.2,
        handle_signals=handle_signals,
    )
