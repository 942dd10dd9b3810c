"""The event log on the real services: replay after an id, fan-out between EventLogs on separate connections
through Postgres LISTEN/NOTIFY and Redis pub/sub (and between two OS processes), no gaps or duplicates
under concurrent publishing, a slow subscriber, and listeners that recover after their connection is cut."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from interview_engine_server.brokers import make_broker
from interview_engine_server.brokers.memory import InProcessBroker
from interview_engine_server.brokers.postgres import PostgresBroker
from interview_engine_server.brokers.redis import RedisBroker
from interview_engine_server.db import open_database
from interview_engine_server.events import (
    Event,
    EventLog,
    InvalidEventId,
    NewEvent,
    SubscriberLagged,
    events,
    format_event_id,
)

pytestmark = pytest.mark.anyio

TENANT = "acme"


def new_interview() -> str:
    return uuid.uuid4().hex


async def take(stream: AsyncIterator[Event], n: int, timeout: float = 10.0) -> list[Event]:
    got: list[Event] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            async for event in stream:
                got.append(event)
                if len(got) == n:
                    break
    return got


async def publish_n(log: EventLog, interview_id: str, n: int, *, tag: str = "p", start: int = 0) -> list[Event]:
    return [await log.publish(tenant_id=TENANT, interview_id=interview_id, type="answer.recorded",
                              data={"tag": tag, "i": i}) for i in range(start, start + n)]


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of a real service; ``cut`` drops every connection and refuses new
    ones until ``restore`` (the service itself is never touched)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.up = True
        self._pipes: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        self.cut()
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._pipes.update((writer, up_writer))
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            self._pipes.discard(writer)
            writer.close()

    def cut(self) -> None:
        self.up = False
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def restore(self) -> None:
        self.up = True


def via_proxy(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


# replay, filtering, tenants, dedupe, retention


async def test_replay_after_an_id_in_order_with_recruiter_only_events_filtered(any_db: AsyncEngine) -> None:
    db = any_db
    interview = new_interview()
    async with EventLog(db, InProcessBroker()) as log:
        published = await publish_n(log, interview, 3)
        score = await log.publish(tenant_id=TENANT, interview_id=interview, type="evaluation.updated",
                                  data={"score": 4.5}, recruiter_only=True)
        published += [score, *await publish_n(log, interview, 2, start=3)]
        assert [e.id for e in published] == sorted(e.id for e in published)
        assert len({e.id for e in published}) == 6

        recruiter = log.subscribe(tenant_id=TENANT, interview_id=interview, after=published[1].id,
                                  include_recruiter_only=True)
        assert await take(recruiter, 4) == published[2:]
        candidate = log.subscribe(tenant_id=TENANT, interview_id=interview, after=published[1].id)
        assert [e.data for e in await take(candidate, 3)] == [{"tag": "p", "i": i} for i in (2, 3, 4)]

        assert await log.read(tenant_id="other", interview_id=interview) == []
        with pytest.raises(ValueError, match="another tenant"):
            await log.publish(tenant_id="other", interview_id=interview, type="question.asked", data={})
        for bad in ("abc", "-1", "1" * 40, "１２"):
            with pytest.raises(InvalidEventId):
                await take(log.subscribe(tenant_id=TENANT, interview_id=interview, after=bad), 1)
        with pytest.raises(ValueError, match="JSON-safe"):
            await log.publish(tenant_id=TENANT, interview_id=interview, type="question.asked",
                              data={"x": float("nan")})


async def test_events_published_here_reach_live_subscribers_here_without_reading_them_back(
        any_db: AsyncEngine) -> None:
    interview = new_interview()
    async with EventLog(any_db, InProcessBroker()) as log:
        received: list[Event] = []

        async def consume() -> None:
            async for event in log.subscribe(tenant_id=TENANT, interview_id=interview):
                received.append(event)

        consumer = asyncio.create_task(consume())
        warm_up = await publish_n(log, interview, 2)
        async with asyncio.timeout(10):
            while len(received) < 2:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the subscriber is live and idle
        reads: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().startswith("SELECT"):
                reads.append(statement)

        sa.event.listen(any_db.sync_engine, "before_cursor_execute", record)
        try:
            published = await log.publish_all(tenant_id=TENANT, interview_id=interview, events=[
                NewEvent("answer.recorded", {"i": 2}), NewEvent("question.asked", {"i": 3})])
            async with asyncio.timeout(10):
                while len(received) < 4:
                    await asyncio.sleep(0.01)
        finally:
            sa.event.remove(any_db.sync_engine, "before_cursor_execute", record)
            consumer.cancel()
        assert received == warm_up + published
        assert reads == []  # handed over in this process, not read back from the table


async def test_dedupe_key_returns_the_first_event(any_db: AsyncEngine) -> None:
    interview = new_interview()
    async with EventLog(any_db, InProcessBroker()) as log:
        first = await log.publish(tenant_id=TENANT, interview_id=interview, type="report.ready", data={"a": 1},
                                  dedupe_key="report")
        again = await log.publish(tenant_id=TENANT, interview_id=interview, type="report.ready", data={"a": 1},
                                  dedupe_key="report")
        after = await log.publish(tenant_id=TENANT, interview_id=interview, type="question.asked", data={})
        racing = await asyncio.gather(*(log.publish(  # at once: one is stored, every caller gets that one
            tenant_id=TENANT, interview_id=interview, type="interview.finished", data={}, dedupe_key="finished")
            for _ in range(5)))
        assert again == first
        assert after.seq == first.seq + 1
        assert {event.id for event in racing} == {format_event_id(after.seq + 1)}
        assert [e.type for e in await log.read(tenant_id=TENANT, interview_id=interview)] == [
            "report.ready", "question.asked", "interview.finished"]


async def test_deleting_an_interview_removes_its_events_and_prune_removes_idle_streams(
        sqlite_db: AsyncEngine) -> None:
    kept, deleted = new_interview(), new_interview()
    async with EventLog(sqlite_db, InProcessBroker()) as log:
        await publish_n(log, kept, 2)
        await publish_n(log, deleted, 2)
        await log.delete_interview(tenant_id="other", interview_id=deleted)
        assert len(await log.read(tenant_id=TENANT, interview_id=deleted)) == 2
        await log.delete_interview(tenant_id=TENANT, interview_id=deleted)
        assert await log.read(tenant_id=TENANT, interview_id=deleted) == []
        assert len(await log.read(tenant_id=TENANT, interview_id=kept)) == 2
        from datetime import UTC, datetime, timedelta

        assert await log.prune(idle_before=datetime.now(UTC) - timedelta(hours=1)) == 0
        assert await log.prune(idle_before=datetime.now(UTC) + timedelta(seconds=1)) == 1
        async with sqlite_db.connect() as conn:
            assert (await conn.execute(sa.select(sa.func.count()).select_from(events))).scalar() == 0


def test_make_broker_picks_by_configuration(redis_url: str) -> None:
    assert isinstance(make_broker(database_url="sqlite+aiosqlite:///x.db"), InProcessBroker)
    assert isinstance(make_broker(database_url="postgresql+asyncpg://u@h/db"), PostgresBroker)
    assert isinstance(make_broker(database_url="postgresql+asyncpg://u@h/db", redis_url=redis_url), RedisBroker)


# fan-out across processes


async def _fan_out_between_two_logs(db_a: AsyncEngine, db_b: AsyncEngine, broker_a: Any, broker_b: Any) -> None:
    interview = new_interview()
    # catch-up is slowed down so that only the broker can deliver in time
    async with EventLog(db_a, broker_a, catchup_interval_s=60) as a, \
            EventLog(db_b, broker_b, catchup_interval_s=60) as b:
        early = await publish_n(a, interview, 2, tag="early")
        received = asyncio.create_task(take(b.subscribe(tenant_id=TENANT, interview_id=interview), 5, timeout=5))
        await asyncio.sleep(0.3)  # the subscriber has replayed and gone live
        live = await publish_n(a, interview, 3, tag="live")
        assert await received == early + live


async def test_fan_out_through_postgres_listen_notify(postgres_url: str, pg_db: AsyncEngine) -> None:
    other = await open_database(postgres_url)  # a second engine: separate connections, as another server has
    try:
        await _fan_out_between_two_logs(pg_db, other, PostgresBroker(postgres_url), PostgresBroker(postgres_url))
    finally:
        await other.dispose()


async def test_fan_out_through_redis_pub_sub(sqlite_db: AsyncEngine, sqlite_url: str, redis_url: str) -> None:
    other = await open_database(sqlite_url)
    try:
        await _fan_out_between_two_logs(sqlite_db, other, RedisBroker(redis_url), RedisBroker(redis_url))
    finally:
        await other.dispose()


PUBLISHER_PROCESS = textwrap.dedent("""
    import asyncio, sys
    from sqlalchemy.ext.asyncio import create_async_engine
    from interview_engine_server.brokers import make_broker
    from interview_engine_server.events import EventLog

    async def main(url, interview, n):
        db = create_async_engine(url)
        async with EventLog(db, make_broker(database_url=url)) as log:
            for i in range(int(n)):
                await log.publish(tenant_id="acme", interview_id=interview, type="question.asked", data={"i": i})
        await db.dispose()

    asyncio.run(main(*sys.argv[1:]))
""")


async def test_events_published_by_another_os_process_arrive_live(postgres_url: str, pg_db: AsyncEngine) -> None:
    interview = new_interview()
    async with EventLog(pg_db, PostgresBroker(postgres_url), catchup_interval_s=60) as log:
        received = asyncio.create_task(take(log.subscribe(tenant_id=TENANT, interview_id=interview), 5))
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", PUBLISHER_PROCESS, postgres_url,
                                                    interview, "5", stderr=subprocess.PIPE)
        _, stderr = await proc.communicate()
        assert proc.returncode == 0, stderr.decode()
        got = await received
    assert [e.data["i"] for e in got] == [0, 1, 2, 3, 4]


# ordering under load


async def test_concurrent_publishers_on_two_servers_give_every_subscriber_every_event_once_in_order(
        postgres_url: str, pg_db: AsyncEngine) -> None:
    interview = new_interview()
    other = await open_database(postgres_url)
    per_publisher, publishers = 40, 4
    total = per_publisher * publishers
    try:
        async with EventLog(pg_db, PostgresBroker(postgres_url), queue_size=total) as a, \
                EventLog(other, PostgresBroker(postgres_url), queue_size=total) as b:
            watchers = [asyncio.create_task(take(log.subscribe(tenant_id=TENANT, interview_id=interview), total,
                                                 timeout=30)) for log in (a, b)]
            await asyncio.sleep(0.2)
            tasks = [asyncio.create_task(publish_n((a, b)[i % 2], interview, per_publisher, tag=str(i)))
                     for i in range(publishers)]
            late = []
            for i in range(8):  # join while events are being committed: replay, go live, no gap, no repeat
                await asyncio.sleep(0.02)
                late.append(asyncio.create_task(take((a, b)[i % 2].subscribe(tenant_id=TENANT, interview_id=interview),
                                                     total, timeout=30)))
            published = [e for t in tasks for e in await t]
            results = [await w for w in [*watchers, *late]]
    finally:
        await other.dispose()
    assert sorted(e.seq for e in published) == list(range(1, total + 1))
    by_id = {e.id: e for e in published}
    for got in results:
        assert [e.seq for e in got] == list(range(1, total + 1))
        assert all(by_id[e.id].data == e.data for e in got)
        for tag in map(str, range(publishers)):  # each publisher's events keep their order
            assert [e.data["i"] for e in got if e.data["tag"] == tag] == list(range(per_publisher))


async def test_events_committed_while_a_subscriber_replays_are_delivered(
        sqlite_db: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window between a subscriber's last replay read and going live: events committed there are fetched
    by the process for its live subscribers before this one is live, and must still reach it."""
    interview = new_interview()
    async with EventLog(sqlite_db, InProcessBroker(), catchup_interval_s=60) as log:
        await publish_n(log, interview, 2)
        read_after = log._read_after
        racing = True

        async def replay_read_racing_a_publish(tenant_id: str | None, *args: Any) -> list[Event]:
            nonlocal racing
            page = await read_after(tenant_id, *args)
            if tenant_id is not None and racing:
                racing = False
                await publish_n(log, interview, 2, start=2)
                await asyncio.sleep(0.05)  # the process fetches and offers them while this read is in flight
            return page

        monkeypatch.setattr(log, "_read_after", replay_read_racing_a_publish)
        got = await take(log.subscribe(tenant_id=TENANT, interview_id=interview), 4, timeout=3)
    assert [e.data["i"] for e in got] == [0, 1, 2, 3]


async def test_a_slow_subscriber_is_closed_without_holding_back_publishers_or_others(
        sqlite_db: AsyncEngine) -> None:
    interview = new_interview()
    async with EventLog(sqlite_db, InProcessBroker(), queue_size=5) as log:
        slow = log.subscribe(tenant_id=TENANT, interview_id=interview)
        fast = asyncio.create_task(take(log.subscribe(tenant_id=TENANT, interview_id=interview), 20))
        pending = asyncio.create_task(anext(slow))  # live, then it stops reading
        await asyncio.sleep(0.1)
        await publish_n(log, interview, 1)
        seen = [await pending]
        started = time.perf_counter()
        await publish_n(log, interview, 19, start=1)
        assert time.perf_counter() - started < 5
        assert len(await fast) == 20
        with pytest.raises(SubscriberLagged) as lagged:
            await take(slow, 19)
        assert lagged.value.last_id == seen[0].id
        resumed = await take(log.subscribe(tenant_id=TENANT, interview_id=interview, after=lagged.value.last_id), 19)
        assert [e.data["i"] for e in resumed] == list(range(1, 20))


# recovery after a cut connection


async def test_postgres_listener_recovers_after_its_connection_is_cut(postgres_url: str, pg_db: AsyncEngine) -> None:
    interview = new_interview()
    url = make_url(postgres_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied_url = via_proxy(postgres_url, proxy)
        proxied_db = create_async_engine(proxied_url, pool_pre_ping=True)
        broker = PostgresBroker(proxied_url, health_interval_s=0.5, connect_timeout_s=1)
        try:
            async with EventLog(pg_db, PostgresBroker(postgres_url)) as writer, \
                    EventLog(proxied_db, broker, catchup_interval_s=60) as reader:
                got: list[Event] = []
                consumer = asyncio.create_task(_collect(reader.subscribe(tenant_id=TENANT, interview_id=interview),
                                                        got))
                await publish_n(writer, interview, 2, tag="before")
                await wait_for(lambda: len(got) == 2)
                proxy.cut()
                await publish_n(writer, interview, 2, tag="during")  # the notices are lost
                await asyncio.sleep(1.0)
                proxy.restore()
                await wait_for(lambda: len(got) == 4)  # the reconnect catches up from the table
                await publish_n(writer, interview, 2, tag="after")  # and live notices flow again
                await wait_for(lambda: len(got) == 6, timeout=5)
                consumer.cancel()
        finally:
            await proxied_db.dispose()
    assert [(e.data["tag"], e.seq) for e in got] == [
        ("before", 1), ("before", 2), ("during", 3), ("during", 4), ("after", 5), ("after", 6)]


async def test_redis_listener_recovers_after_its_connection_is_cut(sqlite_db: AsyncEngine, redis_url: str) -> None:
    interview = new_interview()
    url = urlsplit(redis_url)
    async with TcpProxy(url.hostname or "127.0.0.1", url.port or 6379) as proxy:
        proxied = url._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        broker = RedisBroker(proxied, health_interval_s=0.5, connect_timeout_s=1)
        async with EventLog(sqlite_db, RedisBroker(redis_url)) as writer, \
                EventLog(sqlite_db, broker, catchup_interval_s=60) as reader:
            got: list[Event] = []
            consumer = asyncio.create_task(_collect(reader.subscribe(tenant_id=TENANT, interview_id=interview), got))
            await publish_n(writer, interview, 2, tag="before")
            await wait_for(lambda: len(got) == 2)
            proxy.cut()
            await publish_n(writer, interview, 2, tag="during")
            await asyncio.sleep(1.0)
            proxy.restore()
            await wait_for(lambda: len(got) == 4)
            await publish_n(writer, interview, 2, tag="after")
            await wait_for(lambda: len(got) == 6, timeout=5)
            consumer.cancel()
    assert [e.seq for e in got] == [1, 2, 3, 4, 5, 6]


async def test_a_lost_notice_is_healed_by_the_periodic_catch_up(sqlite_db: AsyncEngine) -> None:
    interview = new_interview()

    class Deaf(InProcessBroker):
        async def publish(self, interview_id: str, seq: int) -> None:
            raise ConnectionError("broker down")

    async with EventLog(sqlite_db, Deaf(), catchup_interval_s=0.2) as log, \
            EventLog(sqlite_db, Deaf()) as elsewhere:  # another process: its events are not handed over here
        got: list[Event] = []
        consumer = asyncio.create_task(_collect(log.subscribe(tenant_id=TENANT, interview_id=interview), got))
        await asyncio.sleep(0.1)
        await publish_n(elsewhere, interview, 3)
        await wait_for(lambda: len(got) == 3, timeout=3)
        consumer.cancel()


async def test_a_live_subscriber_survives_a_failed_read_and_retries(
        sqlite_db: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    interview = new_interview()

    class Deaf(InProcessBroker):  # no notices: only the catch-up finds the events
        async def publish(self, interview_id: str, seq: int) -> None:
            pass

    async with EventLog(sqlite_db, Deaf(), catchup_interval_s=0.2) as log, \
            EventLog(sqlite_db, Deaf()) as elsewhere:  # another process: its events are not handed over here
        got: list[Event] = []
        consumer = asyncio.create_task(_collect(log.subscribe(tenant_id=TENANT, interview_id=interview), got))
        await asyncio.sleep(0.1)
        read_after = log._read_after
        failures = 2

        async def flaky(*args: Any) -> list[Event]:
            nonlocal failures
            if failures:
                failures -= 1
                raise sa.exc.OperationalError("SELECT", {}, ConnectionResetError("database restarting"))
            return await read_after(*args)

        monkeypatch.setattr(log, "_read_after", flaky)
        await publish_n(elsewhere, interview, 3)
        await wait_for(lambda: len(got) == 3, timeout=5)
        assert failures == 0 and not consumer.done()
        consumer.cancel()


async def _collect(stream: AsyncIterator[Event], into: list[Event]) -> None:
    async for event in stream:
        into.append(event)


async def test_a_failed_fetch_of_announced_events_is_caught_up_at_once_not_at_the_next_periodic_pass(
        sqlite_db: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    interview = new_interview()
    here = InProcessBroker()

    class Relay(InProcessBroker):  # another process's broker: its notices reach this process's listener
        async def publish(self, interview_id: str, seq: int) -> None:
            await here.publish(interview_id, seq)

    elsewhere = EventLog(sqlite_db, Relay())  # its events are announced here, not handed over
    async with EventLog(sqlite_db, here, catchup_interval_s=60) as log:
        got: list[Event] = []
        consumer = asyncio.create_task(_collect(log.subscribe(tenant_id=TENANT, interview_id=interview), got))
        await publish_n(elsewhere, interview, 1, tag="live")
        await wait_for(lambda: len(got) == 1)
        read_after = log._read_after
        fetch_failures = 1

        async def fetch_fails_once(tenant_id: str | None, *args: Any) -> list[Event]:
            nonlocal fetch_failures
            if tenant_id is None and fetch_failures:  # the shared fetch of announced events, not a catch-up
                fetch_failures -= 1
                raise sa.exc.OperationalError("SELECT", {}, ConnectionResetError("connection cut mid-read"))
            return await read_after(tenant_id, *args)

        monkeypatch.setattr(log, "_read_after", fetch_fails_once)
        await publish_n(elsewhere, interview, 1, tag="announced", start=1)
        await wait_for(lambda: len(got) == 2, timeout=5)
        assert fetch_failures == 0 and [e.seq for e in got] == [1, 2]
        consumer.cancel()


async def test_a_subscriber_whose_read_fails_while_going_live_retries_instead_of_ending(
        sqlite_db: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    interview = new_interview()
    async with EventLog(sqlite_db, InProcessBroker(), catchup_interval_s=60) as log:
        await publish_n(log, interview, 1, tag="stored")
        read_after = log._read_after
        reads = 0

        async def second_read_fails(*args: Any) -> list[Event]:
            nonlocal reads
            reads += 1
            if reads == 2:  # the replay succeeded; the read made while going live finds the database away
                raise ConnectionResetError(104, "Connection reset by peer")
            return await read_after(*args)

        monkeypatch.setattr(log, "_read_after", second_read_fails)
        got: list[Event] = []
        consumer = asyncio.create_task(_collect(log.subscribe(tenant_id=TENANT, interview_id=interview), got))
        await wait_for(lambda: reads >= 2)
        await publish_n(log, interview, 2, tag="live", start=1)
        await wait_for(lambda: len(got) == 3, timeout=5)
        assert not consumer.done() and [e.seq for e in got] == [1, 2, 3]
        consumer.cancel()
