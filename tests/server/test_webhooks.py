"""Webhooks against a real HTTP receiver on 127.0.0.1, verified with the standardwebhooks package's own
``Webhook.verify``: one message per idempotency key, retries with the same id on the schedule, Retry-After
honoured and bounded, 410 disables the endpoint, timeouts, every attempt recorded, a restart mid-retry, a
sender killed mid-attempt, and SSRF refusal (literal addresses, names resolving to loopback, IPv6 loopback,
IPv4-mapped IPv6, redirects)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from interview_engine_server.db import open_database
from interview_engine_server.outbound import (
    InvalidWebhookUrl,
    UnsafeWebhookTarget,
    check_webhook_url,
    guarded_client,
    refusal,
)
from interview_engine_server.webhooks import RETRY_SCHEDULE_S, WebhookAttempt, WebhookService, parse_retry_after

pytestmark = pytest.mark.anyio

TENANT = "acme"
FAST = {"poll_interval_s": 0.05, "timeout_s": 2.0}


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay_s: float = 0.0


class Receiver:
    """A real HTTP server on 127.0.0.1 (uvicorn) that records each request and answers from a script
    (the last reply repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [Reply()]
        self.requests: list[Received] = []
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def __aenter__(self) -> Receiver:
        config = uvicorn.Config(self._app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                interface="asgi3")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._closing.set()
        self._server.should_exit = self._server.force_exit = True
        await self._task

    async def _app(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.requests.append(Received({k.decode(): v.decode() for k, v in scope["headers"]}, body, time.monotonic()))
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), reply.delay_s)
        await send({"type": "http.response.start", "status": reply.status,
                    "headers": [(k.encode(), v.encode()) for k, v in reply.headers.items()]})
        await send({"type": "http.response.body", "body": reply.body})


async def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await _value(condition()):
            await asyncio.sleep(0.02)


async def _value(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


async def recorded(webhooks: WebhookService, n: int, endpoint_id: str | None = None) -> list[WebhookAttempt]:
    """The attempts, once ``n`` of them are stored (an attempt is recorded just after its response)."""
    async with asyncio.timeout(10):
        while len(attempts := await webhooks.attempts(tenant_id=TENANT, endpoint_id=endpoint_id)) < n:
            await asyncio.sleep(0.02)
    return attempts


def verify(secret: str, request: Received) -> Any:
    return Webhook(secret).verify(request.body, request.headers)


# signing, idempotency, filtering


async def test_a_message_is_signed_verified_by_standardwebhooks_and_sent_once_per_key(
        sqlite_db: AsyncEngine) -> None:
    async with Receiver(Reply(200, body=b"thanks")) as receiver, Receiver() as reports_only, \
            WebhookService(sqlite_db, **FAST) as webhooks:
        endpoint = await webhooks.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        filtered = await webhooks.add_endpoint(tenant_id=TENANT, url=reports_only.url, allow_private=True,
                                               event_types=["report.ready"])
        assert endpoint.secret and endpoint.secret.startswith("whsec_")
        assert all(e.secret is None for e in await webhooks.list_endpoints(tenant_id=TENANT))
        assert await webhooks.list_endpoints(tenant_id="other") == []

        data = {"interview_id": "i1", "role": "backend <script>alert(1)</script>"}
        for _ in range(3):  # a retried job emits again: one message
            await webhooks.emit(tenant_id=TENANT, type="interview.started", data=data, idempotency_key="i1:started")
        await wait_for(lambda: len(receiver.requests) == 1)
        await recorded(webhooks, 1)
        await asyncio.sleep(0.3)

        assert len(receiver.requests) == 1 and reports_only.requests == []
        request = receiver.requests[0]
        payload = verify(endpoint.secret, request)
        assert payload["type"] == "interview.started" and payload["data"] == data
        assert request.headers["webhook-id"].startswith("msg_")
        with pytest.raises(Exception, match="signature"):
            Webhook(filtered.secret or "").verify(request.body, request.headers)
        [attempt] = await webhooks.attempts(tenant_id=TENANT)
        assert (attempt.attempt, attempt.status_code, attempt.outcome, attempt.response_excerpt) == (
            1, 200, "succeeded", "thanks")
        assert attempt.message_id == request.headers["webhook-id"] and attempt.endpoint_id == endpoint.id
        assert await webhooks.attempts(tenant_id="other") == []

        await webhooks.delete_endpoint(tenant_id=TENANT, endpoint_id=endpoint.id)
        await webhooks.emit(tenant_id=TENANT, type="report.ready", data={}, idempotency_key="i1:report")
        await wait_for(lambda: len(reports_only.requests) == 1)
        assert len(receiver.requests) == 1
        assert len(await webhooks.attempts(tenant_id=TENANT, endpoint_id=endpoint.id)) == 1


async def test_bad_input_is_a_typed_error(sqlite_db: AsyncEngine) -> None:
    async with WebhookService(sqlite_db) as webhooks:
        with pytest.raises(ValueError, match="unknown webhook event type"):
            await webhooks.emit(tenant_id=TENANT, type="nope", data={}, idempotency_key="k")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="JSON-safe"):
            await webhooks.emit(tenant_id=TENANT, type="report.ready", data={"x": object()}, idempotency_key="k")
        with pytest.raises(ValueError, match="idempotency key"):
            await webhooks.emit(tenant_id=TENANT, type="report.ready", data={}, idempotency_key="")
        with pytest.raises(ValueError, match="unknown webhook event types"):
            await webhooks.add_endpoint(tenant_id=TENANT, url="https://hooks.example.com/",
                                        event_types=["nope"])  # type: ignore[list-item]
        from interview_engine_server.webhooks import WebhookNotFound

        endpoint = await webhooks.add_endpoint(tenant_id=TENANT, url="https://hooks.example.com/")
        with pytest.raises(WebhookNotFound):
            await webhooks.delete_endpoint(tenant_id="other", endpoint_id=endpoint.id)


# retries


async def test_retries_keep_the_message_id_follow_the_schedule_and_honour_a_bounded_retry_after(
        pg_db: AsyncEngine) -> None:
    replies = (Reply(500, body=b"boom"), Reply(503, {"retry-after": "100000"}), Reply(200))
    async with Receiver(*replies) as receiver, \
            WebhookService(pg_db, retry_scale=0.001, max_retry_after_s=1.0, **FAST) as webhooks:
        endpoint = await webhooks.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        await webhooks.emit(tenant_id=TENANT, type="report.ready", data={"score": 3.5}, idempotency_key="r")
        await wait_for(lambda: len(receiver.requests) == 3)
        attempts = await recorded(webhooks, 3, endpoint_id=endpoint.id)

    first, second, third = receiver.requests
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert all(verify(endpoint.secret or "", r)["data"] == {"score": 3.5} for r in receiver.requests)
    assert second.at - first.at < 0.9  # 5 s on the schedule, scaled by 0.001
    assert 1.0 <= third.at - second.at < 4  # Retry-After: 100000, capped at 1 s (the schedule: 0.3 s)
    assert [(a.attempt, a.status_code, a.outcome) for a in reversed(attempts)] == [
        (1, 500, "retrying"), (2, 503, "retrying"), (3, 200, "succeeded")]
    assert attempts[-1].response_excerpt == "boom"


async def test_an_endpoint_that_keeps_failing_gets_every_attempt_of_the_schedule_then_none(
        sqlite_db: AsyncEngine) -> None:
    async with Receiver(Reply(500)) as receiver, \
            WebhookService(sqlite_db, retry_scale=0.00002, jitter=0, **FAST) as webhooks:
        await webhooks.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        await webhooks.emit(tenant_id=TENANT, type="interview.finished", data={}, idempotency_key="f")
        await wait_for(lambda: len(receiver.requests) == len(RETRY_SCHEDULE_S))
        attempts = await recorded(webhooks, 8)
        await asyncio.sleep(0.3)
    assert len(receiver.requests) == 8
    assert [a.outcome for a in reversed(attempts)] == ["retrying"] * 7 + ["failed"]


async def test_410_gone_disables_the_endpoint(sqlite_db: AsyncEngine) -> None:
    async with Receiver(Reply(410)) as receiver, WebhookService(sqlite_db, **FAST) as webhooks:
        endpoint = await webhooks.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        await webhooks.emit(tenant_id=TENANT, type="interview.started", data={}, idempotency_key="a")
        await wait_for(lambda: len(receiver.requests) == 1)

        async def disabled() -> bool:
            [listed] = await webhooks.list_endpoints(tenant_id=TENANT)
            return listed.disabled_at is not None

        await wait_for(disabled)
        [listed] = await webhooks.list_endpoints(tenant_id=TENANT)
        assert listed.id == endpoint.id and "410" in (listed.disabled_reason or "")
        await webhooks.emit(tenant_id=TENANT, type="interview.finished", data={}, idempotency_key="b")
        await asyncio.sleep(0.3)
        assert len(receiver.requests) == 1
        assert [a.outcome for a in await webhooks.attempts(tenant_id=TENANT)] == ["disabled"]


async def test_a_slow_endpoint_times_out_and_the_attempt_says_so(sqlite_db: AsyncEngine) -> None:
    async with Receiver(Reply(200, delay_s=3)) as receiver, \
            WebhookService(sqlite_db, poll_interval_s=0.05, timeout_s=0.3) as webhooks:
        await webhooks.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        await webhooks.emit(tenant_id=TENANT, type="interview.started", data={}, idempotency_key="a")
        [attempt] = await recorded(webhooks, 1)
    assert attempt.outcome == "retrying" and attempt.status_code is None
    assert attempt.error == "timed out after 0.3 s" and attempt.duration_ms < 2500


def docs_example() -> str:
    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    return text.split("```python\n", 1)[1].split("```", 1)[0]


async def test_the_verification_example_in_the_docs_handles_a_retried_message_once(sqlite_db: AsyncEngine) -> None:
    async with Receiver(Reply(500), Reply(200)) as receiver, \
            WebhookService(sqlite_db, retry_scale=0.001, **FAST) as webhooks:
        endpoint = await webhooks.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        await webhooks.emit(tenant_id=TENANT, type="interview.deleted", data={"interview_id": "i9"},
                            idempotency_key="i9:deleted")
        await wait_for(lambda: len(receiver.requests) == 2)
    example: dict[str, Any] = {}
    exec(compile(docs_example(), "docs/webhooks.md", "exec"), example)
    handled: list[tuple[str, dict[str, Any]]] = []
    example["handle"] = lambda event_type, data: handled.append((event_type, data))
    secret = endpoint.secret or ""
    assert [example["receive_webhook"](r.body, r.headers, secret) for r in receiver.requests] == [204, 204]
    assert handled == [("interview.deleted", {"interview_id": "i9"})]
    forged = receiver.requests[0].body.replace(b"i9", b"i8")
    assert example["receive_webhook"](forged, receiver.requests[0].headers, secret) == 400


async def test_an_idle_sender_polls_without_writing(sqlite_db: AsyncEngine) -> None:
    """With nothing due, each poll is one read; a message no endpoint wants wakes nothing."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    sa.event.listen(sqlite_db.sync_engine, "before_cursor_execute", record)
    try:
        async with WebhookService(sqlite_db, poll_interval_s=0.02) as webhooks:
            await asyncio.sleep(0.1)
            before = len(statements)
            await webhooks.emit(tenant_id=TENANT, type="report.ready", data={}, idempotency_key="unheard")
            await asyncio.sleep(0.3)
    finally:
        sa.event.remove(sqlite_db.sync_engine, "before_cursor_execute", record)
    assert statements[:before].count("UPDATE") == 1  # the claim on start
    assert statements[before:].count("INSERT") == 1  # the message, stored for the record
    assert statements[before:].count("UPDATE") == 0 and statements[before:].count("SELECT") >= 5


# crash and restart


async def test_a_restart_mid_retry_resumes_with_the_same_message_id(sqlite_db: AsyncEngine) -> None:
    async with Receiver(Reply(500), Reply(200)) as receiver:
        first = WebhookService(sqlite_db, retry_scale=0.2, jitter=0, **FAST)  # the retry is due 1 s later
        await first.start()
        endpoint = await first.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        await first.emit(tenant_id=TENANT, type="report.ready", data={}, idempotency_key="r")
        await wait_for(lambda: first.attempts(tenant_id=TENANT))
        await first.aclose()  # the server stops while the message waits for its retry
        await asyncio.sleep(0.2)
        async with WebhookService(sqlite_db, retry_scale=0.2, **FAST) as second:
            await wait_for(lambda: len(receiver.requests) == 2)
            attempts = await recorded(second, 2)
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert 0.9 <= receiver.requests[1].at - receiver.requests[0].at < 4
    assert verify(endpoint.secret or "", receiver.requests[1]) == verify(endpoint.secret or "", receiver.requests[0])
    assert [(a.attempt, a.outcome) for a in reversed(attempts)] == [(1, "retrying"), (2, "succeeded")]


SENDER_PROCESS = textwrap.dedent("""
    import asyncio, sys
    from interview_engine_server.db import open_database
    from interview_engine_server.webhooks import WebhookService

    async def main(url):
        db = await open_database(url)
        async with WebhookService(db, poll_interval_s=0.05, timeout_s=5, lease_s=3) as webhooks:
            await webhooks.emit(tenant_id="acme", type="report.ready", data={"n": 1}, idempotency_key="crash")
            await asyncio.sleep(60)

    asyncio.run(main(sys.argv[1]))
""")


async def test_two_servers_sharing_the_outbox_send_each_message_once(postgres_url: str, pg_db: AsyncEngine) -> None:
    other = await open_database(postgres_url)
    try:
        async with Receiver(Reply(200, delay_s=0.02)) as receiver, WebhookService(pg_db, **FAST) as one, \
                WebhookService(other, **FAST) as two:
            await one.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
            for i in range(30):
                await (one, two)[i % 2].emit(tenant_id=TENANT, type="interview.started", data={"i": i},
                                            idempotency_key=f"i{i}:started")
            await wait_for(lambda: len(receiver.requests) >= 30)
            attempts = await recorded(one, 30)
            await asyncio.sleep(0.3)
    finally:
        await other.dispose()
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 30
    assert len(attempts) == 30 and {a.outcome for a in attempts} == {"succeeded"}


async def test_a_sender_killed_mid_attempt_is_replaced_after_its_lease_with_the_same_message_id(
        sqlite_url: str, sqlite_db: AsyncEngine) -> None:
    async with Receiver(Reply(200, delay_s=30), Reply(200)) as receiver:
        async with WebhookService(sqlite_db) as setup:
            endpoint = await setup.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
        sender = await asyncio.create_subprocess_exec(sys.executable, "-c", SENDER_PROCESS, sqlite_url,
                                                      stderr=asyncio.subprocess.PIPE)
        try:
            await wait_for(lambda: receiver.requests or sender.returncode is not None, timeout=20)
        finally:
            with contextlib.suppress(ProcessLookupError):
                sender.send_signal(signal.SIGKILL)
            _, stderr = await sender.communicate()
        assert sender.returncode == -signal.SIGKILL, stderr.decode()
        async with WebhookService(sqlite_db, **FAST) as survivor:
            await wait_for(lambda: len(receiver.requests) == 2, timeout=8)
            attempts = await recorded(survivor, 1)
    first, second = receiver.requests
    assert second.at - first.at >= 2.0  # not before the dead sender's 3 s claim ran out: never concurrently
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert verify(endpoint.secret or "", second)["data"] == {"n": 1}
    assert [(a.attempt, a.outcome) for a in attempts] == [(2, "succeeded")]  # attempt 1 died with its sender


# SSRF


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::1", "2001:db8::1"])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("url", "message"), [
    ("http://hooks.example.com/", "https"),
    ("ftp://hooks.example.com/", "https"),
    ("https://user:pw@hooks.example.com/", "credentials"),
    ("https://127.0.0.1/", "loopback"),
    ("https://10.0.0.5:8443/", "private"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[::1]/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),
    ("https://localhost/", "localhost"),
    ("https://api.localhost/", "localhost"),
    ("https:///path", "no host"),
    ("https://hooks.example.com:99999/", "port"),
    ("https://hooks.example.com/\x00", "printable"),
    ("", "empty"),
])
def test_webhook_urls_are_checked_when_an_endpoint_is_added(url: str, message: str) -> None:
    with pytest.raises(InvalidWebhookUrl, match=message):
        check_webhook_url(url)


def test_private_targets_and_http_need_the_explicit_allowance() -> None:
    assert check_webhook_url("http://127.0.0.1:9000/hooks", allow_private=True) == "http://127.0.0.1:9000/hooks"
    with pytest.raises(InvalidWebhookUrl, match="credentials"):
        check_webhook_url("http://u:p@127.0.0.1/", allow_private=True)


async def test_connections_to_loopback_are_refused_at_connect_time() -> None:
    async with Receiver() as receiver:
        async with guarded_client() as client:
            for url in (f"http://localhost:{receiver.port}/",  # the system resolver says 127.0.0.1 / ::1
                        f"http://[::1]:{receiver.port}/",
                        f"http://[::ffff:127.0.0.1]:{receiver.port}/",
                        f"http://127.0.0.1:{receiver.port}/"):
                with pytest.raises(UnsafeWebhookTarget):
                    await client.post(url, content=b"{}")

        async def rebinding(host: str, port: int) -> list[str]:  # a public answer mixed with a private one
            return ["93.184.216.34", "127.0.0.1"]

        async with guarded_client(resolver=rebinding) as client:
            with pytest.raises(UnsafeWebhookTarget, match="loopback"):
                await client.post(f"http://hooks.example.com:{receiver.port}/", content=b"{}")
        async with guarded_client(allow_private=True) as client:
            assert (await client.post(receiver.url, content=b"{}")).status_code == 200
    assert len(receiver.requests) == 1


async def test_a_hostname_that_resolves_to_loopback_is_refused_and_the_attempt_recorded(
        sqlite_db: AsyncEngine) -> None:
    async def to_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async with Receiver() as receiver, WebhookService(sqlite_db, resolver=to_loopback, **FAST) as webhooks:
        await webhooks.add_endpoint(tenant_id=TENANT, url=f"https://hooks.example.com:{receiver.port}/")
        await webhooks.emit(tenant_id=TENANT, type="interview.started", data={}, idempotency_key="a")
        [attempt] = await recorded(webhooks, 1)
    assert receiver.requests == []
    assert attempt.outcome == "retrying" and "127.0.0.1 is a loopback address" in (attempt.error or "")


async def test_redirects_are_not_followed(sqlite_db: AsyncEngine) -> None:
    async with Receiver() as target:
        async with Receiver(Reply(307, {"location": target.url})) as receiver, \
                WebhookService(sqlite_db, **FAST) as webhooks:
            await webhooks.add_endpoint(tenant_id=TENANT, url=receiver.url, allow_private=True)
            await webhooks.emit(tenant_id=TENANT, type="interview.started", data={}, idempotency_key="a")
            [attempt] = await recorded(webhooks, 1)
    assert target.requests == [] and len(receiver.requests) == 1
    assert attempt.status_code == 307 and attempt.outcome == "retrying"
    assert "redirects are not followed" in (attempt.error or "")


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Tue, 01 Dec 2026 12:01:00 GMT", now) == 60
    assert parse_retry_after("Tue, 01 Dec 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
