"""Rate limits with the `limits` package: per client address (every request), per API key, per recruiter
session and per candidate interview, and a strict one on logins. Storage is memory (one process) or Redis
(shared by every server process). Over the limit: 429 with Retry-After.

Both count a sliding window (the current fixed window plus the previous one, weighted by how much of it
still overlaps), with O(1) work per request: in Redis through `limits`; in memory through
``LocalSlidingWindow`` here, because `limits`' memory storage scans every key on every hit (its cost grew
with the number of live interviews).

If the storage fails (Redis down), requests are let through and the failure is logged: an outage of the
limiter must not become an outage of interviews.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from .auth.principals import ApiKeyPrincipal, CandidatePrincipal, Principal
from .errors import RateLimited
from .settings import ServerSettings

log = logging.getLogger(__name__)


def limits_storage_uri(configured: str | None, redis_url: str | None) -> str:
    """The async `limits` storage URI: the configured one, else Redis when the SDK uses it, else memory."""
    uri = configured or redis_url or "memory://"
    return uri if uri.startswith("async+") else f"async+{uri}"


@dataclass
class _Window:
    index: int
    current: int
    previous: int


class LocalSlidingWindow:
    """A sliding window counter per key in this process, with O(1) work per hit; keys idle for two windows
    are dropped by a sweep that runs at most once per ``sweep_s`` (so memory follows the live keys)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sweep_s: float = 60.0) -> None:
        self._clock, self._sweep_s = clock, sweep_s
        self._windows: dict[str, tuple[float, _Window]] = {}
        self._next_sweep = clock() + sweep_s

    def hit(self, item: RateLimitItem, *identifiers: str) -> float | None:
        """Count one hit; None when it is allowed, else the seconds until one would be, at most one window
        (as `limits` reports it for Redis; a retry at the end of the window learns any further wait)."""
        now, length, limit = self._clock(), float(item.get_expiry()), item.amount
        if now >= self._next_sweep:
            self._sweep(now)
        key = item.key_for(*identifiers)
        index = int(now // length)
        _, window = self._windows.get(key) or (length, _Window(index, 0, 0))
        if window.index != index:
            window.previous = window.current if window.index == index - 1 else 0
            window.current, window.index = 0, index
        elapsed = now / length - index  # how much of the current window has passed, 0 to 1
        if window.previous * (1 - elapsed) + window.current + 1 <= limit:
            window.current += 1
            self._windows[key] = (length, window)
            return None
        if window.current + 1 > limit:  # wait for the next window, then for this one's weight to fall
            free = 1 + (1 - (limit - 1) / window.current)
        else:
            free = 1 - (limit - 1 - window.current) / window.previous
        return min(length, max(0.0, (index + free) * length - now))

    def __len__(self) -> int:
        """How many keys it holds."""
        return len(self._windows)

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._sweep_s
        for key, (length, window) in list(self._windows.items()):
            if window.index < int(now // length) - 1:
                del self._windows[key]


class RateLimits:
    def __init__(self, settings: ServerSettings, storage_uri: str) -> None:
        scheme = storage_uri.split("://")[0]
        self._local = LocalSlidingWindow() if scheme.endswith("memory") else None
        options = {"implementation": "redispy"} if "redis" in scheme else {}
        self._storage = None if self._local is not None else storage_from_string(storage_uri, **options)
        self._limiter = None if self._storage is None else SlidingWindowCounterRateLimiter(self._storage)
        self._ip = parse(settings.rate_limit_ip)
        self._api_key = parse(settings.rate_limit_api_key)
        self._candidate = parse(settings.rate_limit_candidate)
        self._recruiter = parse(settings.rate_limit_recruiter)
        self._login = parse(settings.rate_limit_login)

    async def hit_ip(self, ip: str | None) -> None:
        await self._hit(self._ip, "ip", ip or "unknown")

    async def hit_principal(self, principal: Principal) -> None:
        if isinstance(principal, ApiKeyPrincipal):
            await self._hit(self._api_key, "key", principal.key_id)
        elif isinstance(principal, CandidatePrincipal):
            await self._hit(self._candidate, "interview", principal.interview_id)
        else:
            await self._hit(self._recruiter, "account", principal.account_id)

    async def hit_login(self, ip: str | None, account: str) -> None:
        """Login attempts, per address and per account name (guessing passwords is slow either way)."""
        await self._hit(self._login, "login-ip", ip or "unknown")
        await self._hit(self._login, "login-account", account.strip().lower()[:400])

    async def _hit(self, item: RateLimitItem, *identifiers: str) -> None:
        if self._local is not None:
            wait = self._local.hit(item, "interview-engine", *identifiers)
        else:
            assert self._limiter is not None
            try:
                if await self._limiter.hit(item, "interview-engine", *identifiers):
                    return
                stats = await self._limiter.get_window_stats(item, "interview-engine", *identifiers)
            except Exception:
                log.exception("rate limit storage failed; letting the request through")
                return
            wait = stats.reset_time - time.time()
        if wait is not None:
            raise RateLimited(max(1, math.ceil(wait)))
