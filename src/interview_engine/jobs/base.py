"""The Jobs protocol. Jobs come from the store's outbox, so a job that is enqueued is already durable;
a runner only has to run each at least once. Handlers are idempotent by the job's key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from ..store.base import JobRecord

JobHandler = Callable[[JobRecord], Awaitable[None]]
"""Runs one job to completion; raises only for failures worth retrying (a database outage)."""

EVALUATE_ANSWER = "evaluate_answer"


def evaluation_job(answer_id: str) -> JobRecord:
    """The job that scores one answer; its key makes a second enqueue of the same answer a no-op."""
    return JobRecord(key=f"{EVALUATE_ANSWER}:{answer_id}", name=EVALUATE_ANSWER, payload={"answer_id": answer_id})


@runtime_checkable
class Jobs(Protocol):
    """Runs jobs from the outbox in the background."""

    async def start(self) -> None:
        """Begin running jobs, first resuming those the store still holds as queued."""
        ...

    async def enqueue(self, job: JobRecord) -> None:
        """Schedule a job already stored in the outbox. Never blocks on the job itself."""
        ...

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every job enqueued so far has finished (raises TimeoutError past ``timeout``)."""
        ...

    async def aclose(self) -> None:
        """Stop; jobs not yet run stay queued in the store and are resumed by the next start."""
        ...
