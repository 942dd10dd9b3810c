"""The arq runner: jobs go to Redis and any number of `interview-engine worker` processes run them.

arq keeps a job in its queue until a worker finishes it; a job whose worker died is picked up again
once its in-progress lease runs out: the job timeout (evaluation_timeout_s + JOB_TIMEOUT_MARGIN_S) plus
arq's ten seconds. Our handlers are idempotent by key, so that second run cannot leave a second
evaluation.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio

from ..errors import ConfigurationError
from ..store.base import JobRecord, Store

if TYPE_CHECKING:
    from ..engine import Engine
    from ..settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "interview_engine:jobs"
RUN_JOB = "interview_engine_run_job"
DRAIN_POLL_S = 0.1
JOB_TIMEOUT_MARGIN_S = 5.0


def _redis_settings(url: str) -> Any:
    try:
        from arq.connections import RedisSettings
    except ModuleNotFoundError as exc:
        raise ConfigurationError("jobs = 'arq' needs arq: pip install 'interview-engine[arq]'") from exc
    return RedisSettings.from_dsn(url)


class ArqJobs:
    """Enqueues outbox jobs on Redis for arq workers; the engine process itself runs none."""

    def __init__(self, store: Store, redis_url: str, *, queue_name: str = QUEUE_NAME) -> None:
        self._store = store
        self._redis_settings = _redis_settings(redis_url)
        self._queue_name = queue_name
        self._pool: Any = None
        self._enqueued: set[str] = set()

    async def start(self) -> None:
        from arq import create_pool

        if self._pool is not None:
            return
        try:
            self._pool = await create_pool(self._redis_settings, default_queue_name=self._queue_name)
        except (OSError, ConnectionError) as exc:
            raise ConfigurationError(f"cannot reach Redis for arq jobs: {exc}") from exc
        for job in await self._store.pending_jobs():
            await self.enqueue(job)

    async def enqueue(self, job: JobRecord) -> None:
        if self._pool is None:
            raise RuntimeError("the arq job runner is not started")
        self._enqueued.add(job.key)
        await self._pool.enqueue_job(RUN_JOB, job.model_dump(mode="json"), _job_id=job.key)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until the store shows every job this runner enqueued as finished."""
        with anyio.fail_after(timeout):
            while self._enqueued:
                queued = {j.key for j in await self._store.pending_jobs()}
                self._enqueued &= queued
                if self._enqueued:
                    await anyio.sleep(DRAIN_POLL_S)

    async def aclose(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.aclose()


async def _run_job(ctx: dict[str, Any], payload: dict[str, Any]) -> None:
    engine: Engine = ctx["engine"]
    await engine.run_job(JobRecord.model_validate(payload))


def build_worker(engine: Engine, settings: Settings, *, burst: bool = False, handle_signals: bool = True) -> Any:
    """An arq Worker that runs the engine's jobs; ``burst`` stops it once the queue is empty."""
    from arq.worker import Worker, func

    return Worker(
        functions=[func(_run_job, name=RUN_JOB, max_tries=settings.job_max_attempts)],
        redis_settings=_redis_settings(settings.redis_url),
        queue_name=QUEUE_NAME,
        ctx={"engine": engine},
        job_timeout=settings.evaluation_timeout_s + JOB_TIMEOUT_MARGIN_S,
        max_jobs=settings.job_concurrency,
        burst=burst,
        poll_delay=0.2,
        handle_signals=handle_signals,
    )
