"""Handing outbox jobs to a runner. The store's outbox is the truth: a job is committed there (with its
answer) before any runner hears of it, so a lost hand-over loses nothing; the periodic sweep hands every
queued job over again, and runners ignore jobs they already hold."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

from ..errors import error_summary
from ..store.base import JobRecord, Store
from .base import Jobs

log = logging.getLogger(__name__)


async def hand_over(jobs: Jobs, job: JobRecord) -> None:
    """Give a job already committed to the outbox to the runner. A failure (the broker is down) is logged,
    not raised: the caller's work is stored, and the outbox sweep sends the job later."""
    try:
        await jobs.enqueue(job)
    except Exception as exc:
        log.warning("could not hand job %s to the job runner (%s); it stays in the outbox for the next sweep",
                    job.key, error_summary(exc))


async def sweep_outbox(store: Store, enqueue: Callable[[JobRecord], Awaitable[None]]) -> None:
    """Hand every queued job to ``enqueue``; a failure ends this sweep with a warning (the next one retries)."""
    try:
        for job in await store.pending_jobs():
            await enqueue(job)
    except Exception as exc:
        log.warning("the job outbox sweep stopped (%s); the next sweep tries again", error_summary(exc))


async def sweep_periodically(store: Store, enqueue: Callable[[JobRecord], Awaitable[None]], interval_s: float) -> None:
    """Sweep the outbox every ``interval_s`` seconds, until cancelled."""
    while True:
        await anyio.sleep(interval_s)
        await sweep_outbox(store, enqueue)
