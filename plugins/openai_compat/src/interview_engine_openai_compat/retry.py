"""Bounded exponential backoff with jitter, honouring a server's Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Backoff:
    """``retries`` retries after the first attempt; retry ``n`` (0-based) waits about
    ``base_s * 2**n`` seconds (between half and all of it), never more than ``max_s``."""

    retries: int
    base_s: float
    max_s: float

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retrying after failed attempt number ``attempt`` (0-based): the
        server's Retry-After when it gave one, else the jittered exponential delay."""
        if retry_after is not None:
            return retry_after
        exponential = min(self.max_s, self.base_s * 2.0**attempt)
        return exponential * random.uniform(0.5, 1.0)


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header (delta seconds or an HTTP date) as seconds from now; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
