"""Webhooks to the host, signed per the Standard Webhooks specification and delivered from a durable outbox.

``emit`` stores one message per idempotency key and one delivery row per subscribed endpoint, in one
transaction, before anything is sent. A background loop claims due deliveries (a lease with a token; on
Postgres ``FOR UPDATE SKIP LOCKED``, so several servers share the outbox and never send one delivery
concurrently), signs each attempt with ``standardwebhooks`` (``webhook-id`` is the message id, the same on
every retry; ``webhook-timestamp`` is the attempt's time), POSTs it through the SSRF-guarded client and
records the attempt. Failures are retried on the specification's schedule (immediately, 5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 10 h, plus up to ``jitter`` of each delay), never sooner than a ``Retry-After`` asks (capped
at ``max_retry_after_s``). A 410 Gone disables the endpoint. A crash leaves at most a claim that expires
after ``lease_s``; the next loop, in any process, picks the delivery up again with the same message id.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal, get_args

import httpx
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from standardwebhooks import Webhook

from .db import dialect_insert
from .outbound import Resolver, UnsafeWebhookTarget, check_webhook_url, guarded_client, system_resolver
from .webhook_tables import webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_messages

log = logging.getLogger(__name__)

__all__ = ["RETRY_SCHEDULE_S", "WebhookAttempt", "WebhookEndpoint", "WebhookEventType", "WebhookNotFound",
           "WebhookService"]

WebhookEventType = Literal["interview.started", "interview.finished", "report.ready", "interview.deleted"]
WEBHOOK_EVENT_TYPES: frozenset[str] = frozenset(get_args(WebhookEventType))

RETRY_SCHEDULE_S: tuple[float, ...] = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
"""Delay before each attempt after the previous one failed (the first is immediate): Standard Webhooks'."""

EXCERPT_BYTES = 1024
MAX_KEY_LENGTH = 255
USER_AGENT = "interview-engine-webhooks/1"

AttemptOutcome = Literal["succeeded", "retrying", "failed", "disabled"]


class WebhookNotFound(LookupError):
    """No such webhook endpoint for this tenant."""


class WebhookEndpoint(BaseModel):
    """A URL of the host that receives webhooks. ``secret`` (``whsec_...``) is shown once, on creation."""

    model_config = ConfigDict(frozen=True)

    id: str
    url: str
    event_types: list[WebhookEventType] | None
    """None: every event type."""
    allow_private: bool
    created_at: datetime
    disabled_at: datetime | None = None
    disabled_reason: str | None = None
    secret: str | None = None


class WebhookAttempt(BaseModel):
    """One try at delivering a message to an endpoint."""

    model_config = ConfigDict(frozen=True)

    id: str
    endpoint_id: str
    message_id: str
    event_type: WebhookEventType
    attempt: int
    started_at: datetime
    duration_ms: float
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    outcome: AttemptOutcome


@dataclass(frozen=True)
class _Response:
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    retry_after_s: float | None = None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def message_body(type: str, data: dict[str, Any], timestamp: datetime) -> str:
    """The JSON body every attempt of a message sends: ``{"type", "timestamp", "data"}``."""
    try:
        return json.dumps({"type": type, "timestamp": timestamp.isoformat(), "data": data},
                          separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"webhook data is not JSON-safe: {exc}") from exc


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (_utc(when) - now).total_seconds())


def _clean_excerpt(raw: bytes) -> str:
    text = raw[:EXCERPT_BYTES].decode("utf-8", "replace")
    return "".join(c for c in text if c in "\n\t" or (ord(c) >= 32 and ord(c) != 127))


def _endpoint(row: sa.Row[Any], secret: str | None = None) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id, url=row.url, event_types=row.event_types, allow_private=row.allow_private,
        created_at=_utc(row.created_at), disabled_at=_utc(row.disabled_at) if row.disabled_at else None,
        disabled_reason=row.disabled_reason, secret=secret)


class WebhookService:
    """Webhook endpoints per tenant, the durable outbox and the background delivery loop.

    Use as ``async with WebhookService(db) as webhooks`` (or ``start``/``aclose``). ``http``, when given, is
    used for every delivery instead of the SSRF-guarded clients (its owner then answers for where it
    connects). ``retry_scale`` multiplies the retry schedule (tests shorten it); ``lease_s`` is how long a
    claimed delivery stays claimed if its sender dies (default: the timeout plus 30 s).
    """

    def __init__(self, db: AsyncEngine, *, http: httpx.AsyncClient | None = None, resolver: Resolver = system_resolver,
                 timeout_s: float = 10.0, retry_scale: float = 1.0, jitter: float = 0.1,
                 max_retry_after_s: float = 3600.0, lease_s: float | None = None, poll_interval_s: float = 1.0,
                 concurrency: int = 16, max_endpoints_per_tenant: int = 20) -> None:
        self._db = db
        self._http = http
        self._resolver = resolver
        self._timeout_s = timeout_s
        self._schedule = tuple(delay * retry_scale for delay in RETRY_SCHEDULE_S)
        self._jitter = jitter
        self._max_retry_after_s = max_retry_after_s
        self._lease_s = lease_s if lease_s is not None else timeout_s + 30.0
        self._poll_interval_s = poll_interval_s
        self._concurrency = concurrency
        self._max_endpoints = max_endpoints_per_tenant
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._runner: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    async def __aenter__(self) -> WebhookService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start the background delivery loop. Idempotent."""
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="webhook-delivery")

    async def aclose(self) -> None:
        """Stop claiming; let deliveries in flight finish (each is bounded by the timeout); close clients."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None
        if self._inflight:
            await asyncio.wait(set(self._inflight))
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    # endpoints

    async def add_endpoint(self, *, tenant_id: str, url: str, event_types: list[WebhookEventType] | None = None,
                           allow_private: bool = False) -> WebhookEndpoint:
        """Register an endpoint; the returned one carries its ``whsec_`` secret, shown only this once.
        Raises InvalidWebhookUrl for a URL the server will not deliver to."""
        url = check_webhook_url(url, allow_private=allow_private)
        types = None if event_types is None else sorted(set(event_types))
        unknown = sorted(set(types or ()) - WEBHOOK_EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown webhook event types: {', '.join(unknown)}")
        secret = new_secret()
        values = {"id": _new_id("ep"), "tenant_id": tenant_id, "url": url, "secret": secret, "event_types": types,
                  "allow_private": allow_private, "created_at": datetime.now(UTC)}
        async with self._db.begin() as conn:
            count = (await conn.execute(sa.select(sa.func.count()).select_from(webhook_endpoints).where(
                webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.deleted_at.is_(None)))).scalar_one()
            if count >= self._max_endpoints:
                raise ValueError(f"a tenant may have at most {self._max_endpoints} webhook endpoints")
            await conn.execute(webhook_endpoints.insert().values(**values))
        return WebhookEndpoint(id=values["id"], url=url, event_types=types, allow_private=allow_private,
                               created_at=values["created_at"], secret=secret)

    async def list_endpoints(self, *, tenant_id: str) -> list[WebhookEndpoint]:
        """The tenant's endpoints (without secrets), oldest first."""
        async with self._db.connect() as conn:
            rows = (await conn.execute(sa.select(webhook_endpoints).where(
                webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.deleted_at.is_(None))
                .order_by(webhook_endpoints.c.created_at))).all()
        return [_endpoint(row) for row in rows]

    async def delete_endpoint(self, *, tenant_id: str, endpoint_id: str) -> None:
        """Remove an endpoint; its pending deliveries are cancelled, its attempts stay listable."""
        now = datetime.now(UTC)
        async with self._db.begin() as conn:
            result = await conn.execute(webhook_endpoints.update().where(
                webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.tenant_id == tenant_id,
                webhook_endpoints.c.deleted_at.is_(None)).values(deleted_at=now))
            if result.rowcount != 1:
                raise WebhookNotFound("no such webhook endpoint")
            await self._cancel_pending(conn, endpoint_id, now)

    async def attempts(self, *, tenant_id: str, endpoint_id: str | None = None,
                       limit: int = 100) -> list[WebhookAttempt]:
        """Delivery attempts of the tenant (optionally of one endpoint), newest first."""
        query = (sa.select(webhook_attempts).where(webhook_attempts.c.tenant_id == tenant_id)
                 .order_by(webhook_attempts.c.started_at.desc(), webhook_attempts.c.attempt.desc())
                 .limit(max(1, min(limit, 1000))))
        if endpoint_id is not None:
            query = query.where(webhook_attempts.c.endpoint_id == endpoint_id)
        async with self._db.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [WebhookAttempt(
            id=r.id, endpoint_id=r.endpoint_id, message_id=r.message_id, event_type=r.event_type, attempt=r.attempt,
            started_at=_utc(r.started_at), duration_ms=r.duration_ms, status_code=r.status_code,
            response_excerpt=r.response_excerpt, error=r.error, outcome=r.outcome) for r in rows]

    # messages

    async def emit(self, *, tenant_id: str, type: WebhookEventType, data: dict[str, Any],
                   idempotency_key: str) -> None:
        """Store a message for every endpoint of the tenant subscribed to ``type``; delivered in the
        background. A second emit with the same key (a retried job) stores and sends nothing."""
        if type not in WEBHOOK_EVENT_TYPES:
            raise ValueError(f"unknown webhook event type {type!r}")
        if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
            raise ValueError(f"the idempotency key must be 1 to {MAX_KEY_LENGTH} characters")
        now = datetime.now(UTC)
        body = message_body(type, data, now)
        message_id = _new_id("msg")
        async with self._db.begin() as conn:
            stored = await conn.execute(
                dialect_insert(conn.dialect.name)(webhook_messages).values(
                    id=message_id, tenant_id=tenant_id, type=type, idempotency_key=idempotency_key, body=body,
                    created_at=now)
                .on_conflict_do_nothing(index_elements=[webhook_messages.c.tenant_id,
                                                        webhook_messages.c.idempotency_key])
                .returning(webhook_messages.c.id))
            if stored.first() is None:
                log.debug("webhook %s with key %s was already emitted", type, idempotency_key)
                return
            endpoints = (await conn.execute(sa.select(webhook_endpoints.c.id, webhook_endpoints.c.event_types).where(
                webhook_endpoints.c.tenant_id == tenant_id, webhook_endpoints.c.deleted_at.is_(None),
                webhook_endpoints.c.disabled_at.is_(None)))).all()
            rows = [{"id": _new_id("dlv"), "message_id": message_id, "endpoint_id": endpoint.id,
                     "tenant_id": tenant_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
                     "updated_at": now}
                    for endpoint in endpoints if endpoint.event_types is None or type in endpoint.event_types]
            if not rows:
                return  # no endpoint wants it: nothing to deliver, no need to wake the runner
            await conn.execute(webhook_deliveries.insert(), rows)
        self._wake.set()

    # delivery

    async def _run(self) -> None:
        due = True  # a delivery may be due: at start, when woken, and when the wait for a due one ends
        while True:
            self._wake.clear()
            room = self._concurrency - len(self._inflight)
            claimed: list[sa.Row[Any]] = []
            if room > 0 and due:  # claiming is a write: not on every idle poll
                try:
                    claimed = await self._claim(room)
                except Exception as exc:
                    log.warning("claiming webhook deliveries failed (%s: %s)", type(exc).__name__, exc)
            for row in claimed:
                task = asyncio.create_task(self._deliver(row), name="webhook-attempt")
                self._inflight.add(task)
                task.add_done_callback(self._delivered)
            if claimed and len(claimed) == room:
                continue
            idle_s = await self._idle_time()
            due = idle_s < self._poll_interval_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle_s)
                due = True

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("a webhook attempt failed unexpectedly", exc_info=task.exception())

    async def _idle_time(self) -> float:
        """Seconds until the next delivery is due, at most the poll interval (other processes emit too)."""
        try:
            async with self._db.connect() as conn:
                due = (await conn.execute(sa.select(sa.func.min(webhook_deliveries.c.next_attempt_at)).where(
                    webhook_deliveries.c.status == "pending"))).scalar()
        except Exception:
            return self._poll_interval_s
        if due is None:
            return self._poll_interval_s
        return min(self._poll_interval_s, max(0.0, (_utc(due) - datetime.now(UTC)).total_seconds()) + 0.001)

    async def _claim(self, limit: int) -> list[sa.Row[Any]]:
        now = datetime.now(UTC)
        d = webhook_deliveries
        due_now = sa.and_(d.c.status == "pending", d.c.next_attempt_at <= now,
                          sa.or_(d.c.claimed_until.is_(None), d.c.claimed_until < now))
        due = sa.select(d.c.id).where(due_now).order_by(d.c.next_attempt_at).limit(limit)
        async with self._db.begin() as conn:
            if conn.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            result = await conn.execute(
                d.update().where(d.c.id.in_(due), due_now)
                .values(claim_token=uuid.uuid4().hex, claimed_until=now + timedelta(seconds=self._lease_s),
                        attempts=d.c.attempts + 1)
                .returning(d.c.id, d.c.claim_token, d.c.attempts, d.c.message_id, d.c.endpoint_id, d.c.tenant_id))
            return list(result.all())

    async def _deliver(self, claim: sa.Row[Any]) -> None:
        async with self._db.connect() as conn:
            row = (await conn.execute(
                sa.select(webhook_endpoints.c.url, webhook_endpoints.c.secret, webhook_endpoints.c.allow_private,
                          webhook_endpoints.c.disabled_at, webhook_endpoints.c.deleted_at,
                          webhook_messages.c.type, webhook_messages.c.body)
                .select_from(webhook_deliveries.join(webhook_endpoints).join(webhook_messages))
                .where(webhook_deliveries.c.id == claim.id))).first()
        if row is None or row.disabled_at is not None or row.deleted_at is not None:
            async with self._db.begin() as conn:
                await conn.execute(webhook_deliveries.update().where(
                    webhook_deliveries.c.id == claim.id, webhook_deliveries.c.claim_token == claim.claim_token)
                    .values(status="cancelled", claim_token=None, claimed_until=None,
                            updated_at=datetime.now(UTC)))
            return
        attempt = claim.attempts  # counted when claimed, so a sender that dies mid-attempt still uses one up
        started = datetime.now(UTC)
        headers = {
            "webhook-id": claim.message_id,
            "webhook-timestamp": str(int(started.timestamp())),
            "webhook-signature": Webhook(row.secret).sign(claim.message_id, started, row.body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        }
        clock = time.perf_counter()
        response = await self._post(row.url, row.body, headers, allow_private=row.allow_private)
        duration_ms = (time.perf_counter() - clock) * 1000
        outcome, next_at = self._decide(response, attempt)
        await self._record(claim, attempt, row.type, started, duration_ms, response, outcome, next_at)
        log.info("webhook %s attempt %d to endpoint %s: %s (%s)", claim.message_id, attempt, claim.endpoint_id,
                 outcome, response.status_code or response.error)

    def _client(self, allow_private: bool) -> httpx.AsyncClient:
        if self._http is not None:
            return self._http
        if allow_private not in self._clients:
            self._clients[allow_private] = guarded_client(allow_private=allow_private, resolver=self._resolver,
                                                          timeout_s=self._timeout_s)
        return self._clients[allow_private]

    async def _post(self, url: str, body: str, headers: dict[str, str], *, allow_private: bool) -> _Response:
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._client(allow_private).stream("POST", url, content=body.encode("utf-8"),
                                                              headers=headers) as response:
                    excerpt = b""
                    async for chunk in response.aiter_bytes():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
        except UnsafeWebhookTarget as exc:
            return _Response(error=str(exc))
        except (TimeoutError, httpx.TimeoutException):
            return _Response(error=f"timed out after {self._timeout_s:g} s")
        except httpx.HTTPError as exc:
            return _Response(error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        error = None
        if response.is_redirect:
            error = f"redirects are not followed (Location: {response.headers.get('location', '')[:200]})"
        return _Response(status_code=response.status_code, excerpt=_clean_excerpt(excerpt), error=error,
                         retry_after_s=parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC)))

    def _decide(self, response: _Response, attempt: int) -> tuple[AttemptOutcome, datetime | None]:
        code = response.status_code
        if code is not None and 200 <= code < 300:
            return "succeeded", None
        if code == 410:
            return "disabled", None
        if attempt >= len(self._schedule):
            return "failed", None
        delay = self._schedule[attempt] * (1 + random.uniform(0, self._jitter))
        if response.retry_after_s is not None:
            delay = max(delay, min(response.retry_after_s, self._max_retry_after_s))
        return "retrying", datetime.now(UTC) + timedelta(seconds=delay)

    async def _record(self, claim: sa.Row[Any], attempt: int, event_type: str, started: datetime,
                      duration_ms: float, response: _Response, outcome: AttemptOutcome,
                      next_at: datetime | None) -> None:
        """Store the attempt and the delivery's new state (if this sender still holds the claim)."""
        now = datetime.now(UTC)
        status = {"succeeded": "succeeded", "retrying": "pending", "failed": "failed", "disabled": "failed"}[outcome]
        async with self._db.begin() as conn:
            await conn.execute(webhook_attempts.insert().values(
                id=_new_id("att"), delivery_id=claim.id, tenant_id=claim.tenant_id, endpoint_id=claim.endpoint_id,
                message_id=claim.message_id, event_type=event_type, attempt=attempt, started_at=started,
                duration_ms=duration_ms, status_code=response.status_code, response_excerpt=response.excerpt,
                error=response.error, outcome=outcome))
            await conn.execute(webhook_deliveries.update().where(
                webhook_deliveries.c.id == claim.id, webhook_deliveries.c.claim_token == claim.claim_token)
                .values(status=status, attempts=attempt, next_attempt_at=next_at or now, claim_token=None,
                        claimed_until=None, updated_at=now))
            if outcome == "disabled":
                await conn.execute(webhook_endpoints.update().where(webhook_endpoints.c.id == claim.endpoint_id)
                                   .values(disabled_at=now, disabled_reason="the endpoint answered 410 Gone"))
                await self._cancel_pending(conn, claim.endpoint_id, now)

    async def forget_interview(self, *, tenant_id: str, interview_id: str) -> None:
        """The interview was deleted: its earlier messages (``report.ready`` carries the whole report) keep
        no body and are not sent any more; their attempts stay listed. ``interview.deleted`` is untouched.
        Relies on the idempotency keys ``<interview id>:<type>`` that ServerHooks gives."""
        now = datetime.now(UTC)
        m, d = webhook_messages, webhook_deliveries
        mine = sa.and_(m.c.tenant_id == tenant_id, m.c.idempotency_key.startswith(f"{interview_id}:", autoescape=True),
                       m.c.type != "interview.deleted")
        async with self._db.begin() as conn:
            await conn.execute(d.update().where(d.c.status == "pending", d.c.message_id.in_(
                sa.select(m.c.id).where(mine))).values(status="cancelled", claim_token=None, claimed_until=None,
                                                        updated_at=now))
            await conn.execute(m.update().where(mine).values(body=json.dumps({"deleted": True})))

    @staticmethod
    async def _cancel_pending(conn: AsyncConnection, endpoint_id: str, now: datetime) -> None:
        await conn.execute(webhook_deliveries.update().where(
            webhook_deliveries.c.endpoint_id == endpoint_id, webhook_deliveries.c.status == "pending")
            .values(status="cancelled", claim_token=None, claimed_until=None, updated_at=now))
