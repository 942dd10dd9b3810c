"""The Jobs protocol. Jobs come from the store's outbox, so a job that is enqueued is already durable;
a runner only has to run each at least once. Handlers are idempotent by the job's key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..store.base import JobRecord

EVALUATE_ANSWER = "evaluate_answer"


@dataclass(frozen=True)
class JobHandler:
    """What a runner calls to do outbox jobs; the runner keeps the outbox (attempts, deferrals, done)."""

    run: Callable[[JobRecord], Awaitable[None]]
    """Do the job's work; idempotent. Raises only for failures worth another attempt (a database outage)."""
    give_up: Callable[[JobRecord, str], Awaitable[None]]
    """Settle the job's work as failed with the reason (an evaluation is recorded as failed); idempotent."""


def evaluation_job(answer_id: str) -> JobRecord:
    """The job that scores one answer; its key makes a second enqueue of the same answer a no-op."""
    return JobRecord(key=f"{EVALUATE_ANSWER}:{answer_id}", name=EVALUATE_ANSWER, payload={"answer_id": answer_id})


@runtime_checkable
class Jobs(Protocol):
    """Runs jobs from the outbox in the background."""

    async def start(self) -> None:
        """Begin running jobs: resume those the store still holds as queued, and sweep the outbox
        periodically for queued jobs no runner was told of."""
        ...

    async def enqueue(self, job: JobRecord) -> None:
        """Schedule a job already stored in the outbox (at its ``next_attempt_at``). Never blocks on the job
        itself. Before ``start`` it does nothing: the job waits in the outbox for a started runner. May raise
        when the runner's broker is unreachable; the job is still safe in the outbox."""
        ...

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every job enqueued so far has finished (raises TimeoutError past ``timeout``)."""
        ...

    async def aclose(self) -> None:
        """Stop; jobs not yet run stay queued in the store and are resumed by the next start."""
        ...
