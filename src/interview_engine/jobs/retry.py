"""How one attempt of an outbox job goes, the same in every runner: the run is counted in the store before
it starts, a failed run is deferred there with exponential backoff and jitter, and after the last attempt
the job gives up and its handler settles it (an evaluation is recorded as failed), so nothing waits on it
forever. Because the retry state is in the store, a restart resumes a job at its due time and attempt."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..errors import error_summary
from ..models import utcnow
from ..store.base import JobRecord, Store
from .base import JobHandler

if TYPE_CHECKING:
    from ..settings import Settings

log = logging.getLogger(__name__)

NO_RECORDED_END = "no run recorded how it ended (stopped, crashed or cut off from the database)"
MAX_DOUBLINGS = 60  # the delay reaches any sensible max_delay_s long before; keeps the float finite


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing job is run again.

    After failed attempt ``n`` the next waits between half and all of ``base_delay_s * 2**(n-1)``, capped
    at ``max_delay_s`` (jitter spreads the retries of many jobs that failed together, as in an outage).
    """

    max_attempts: int = 8
    base_delay_s: float = 5.0
    max_delay_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.job_max_attempts, base_delay_s=settings.job_retry_base_s,
                   max_delay_s=settings.job_retry_max_s)

    def ceiling_s(self, attempt: int) -> float:
        """The longest wait after failed attempt ``attempt`` (1-based)."""
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** min(attempt - 1, MAX_DOUBLINGS))

    def delay_s(self, attempt: int) -> float:
        """A wait after failed attempt ``attempt``: between half and all of its ceiling."""
        ceiling = self.ceiling_s(attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def span_s(self) -> tuple[float, float]:
        """The shortest and longest time from a job's first failure to its last attempt."""
        total = sum(self.ceiling_s(n) for n in range(1, self.max_attempts))
        return total / 2, total


async def attempt_job(store: Store, handler: JobHandler, key: str, policy: RetryPolicy) -> datetime | None:
    """Run one attempt of the queued job ``key``. Returns when to attempt it again, or None when it needs
    no more attempts (done, given up, or no longer queued).

    Raises when the store cannot be read or written. The job then stays queued (its attempt may have been
    counted), so the caller tries again later and, should this process end, the next start does.
    """
    job = await store.get_job(key)
    if job is None or job.status != "queued":
        return None
    if job.attempts >= policy.max_attempts:  # the last attempt ran but could not record its end
        await _give_up(store, handler, job, job.last_error or NO_RECORDED_END)
        return None
    attempts = await store.start_job_attempt(key)
    if attempts is None:
        return None
    job = job.model_copy(update={"attempts": attempts})
    try:
        await handler.run(job)
    except Exception as exc:
        error = error_summary(exc)
        if attempts >= policy.max_attempts:
            log.error("job %s failed on its last attempt (%d): %s", key, attempts, error)
            await _give_up(store, handler, job, error)
            return None
        retry_at = utcnow() + timedelta(seconds=policy.delay_s(attempts))
        log.warning("job %s attempt %d of %d failed (%s); next attempt at %s", key, attempts,
                    policy.max_attempts, error, retry_at.isoformat(timespec="seconds"))
        await store.defer_job(key, error=error, next_attempt_at=retry_at)
        return retry_at
    await store.finish_job(key)
    return None


async def _give_up(store: Store, handler: JobHandler, job: JobRecord, error: str) -> None:
    """Settle the job's work as failed, then mark the job failed: a crash between the two leaves the job
    queued, and giving up again is harmless."""
    reason = f"gave up after {job.attempts} attempt{'' if job.attempts == 1 else 's'}: {error}"
    await handler.give_up(job, reason)
    await store.finish_job(job.key, error=reason)
