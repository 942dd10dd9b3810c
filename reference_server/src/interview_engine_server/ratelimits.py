"""Rate limits with the `limits` package: per client address (every request), per API key, per recruiter
session and per candidate interview, and a strict one on logins. Storage is memory (one process) or Redis
(shared by every server process). Over the limit: 429 with Retry-After.

If the storage fails (Redis down), requests are let through and the failure is logged: an outage of the
limiter must not become an outage of interviews.
"""

from __future__ import annotations

import logging
import math
import time

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


class RateLimits:
    def __init__(self, settings: ServerSettings, storage_uri: str) -> None:
        options = {"implementation": "redispy"} if "redis" in storage_uri.split("://")[0] else {}
        self._storage = storage_from_string(storage_uri, **options)
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
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
        try:
            allowed = await self._limiter.hit(item, "interview-engine", *identifiers)
            if allowed:
                return
            stats = await self._limiter.get_window_stats(item, "interview-engine", *identifiers)
        except Exception:
            log.exception("rate limit storage failed; letting the request through")
            return
        raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))
