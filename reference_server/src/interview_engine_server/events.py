"""Durable per-interview event log with live fan-out across processes.

Every event is a row of ``server_events`` keyed by (interview, seq). ``publish`` takes the next seq under
the row lock of the interview's ``server_event_streams`` row and holds it until commit, so seq numbers
become visible in order: a reader that sees event N has every event before N too. Ids are that seq,
zero-padded, so they compare as strings too.

After a commit the broker tells every process "interview X has event N". Each process reads the new rows
once and hands them to its local subscribers through bounded queues. A subscriber that sees a gap (a lost
notice, a reconnect) re-reads the table from its cursor, and a periodic catch-up pokes subscribers whose
stream moved without a notice, so nothing is missed and nothing is delivered twice.

Retention: an interview's events are kept until ``delete_interview`` (the API calls it when the interview
is deleted). ``prune`` removes the streams of interviews idle longer than a given age, for hosts that keep
interviews longer than their live events are useful.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Self

import anyio
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine

from .brokers import Broker, make_broker
from .db import dialect_insert, metadata
from .event_types import EVENT_TYPES, EventType, NewEvent

log = logging.getLogger(__name__)

__all__ = ["Event", "EventLog", "EventType", "InvalidEventId", "NewEvent", "SubscriberLagged", "make_broker"]


ID_WIDTH = 12

event_streams = sa.Table(
    "server_event_streams",
    metadata,
    sa.Column("interview_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(255), nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
)
"""One row per interview with events: the last seq handed out (its row lock orders publishers)."""

events = sa.Table(
    "server_events",
    metadata,
    sa.Column("interview_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("tenant_id", sa.String(255), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("recruiter_only", sa.Boolean, nullable=False),
    sa.Column("dedupe_key", sa.String(255), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("interview_id", "dedupe_key", name="uq_server_events_dedupe"),
)
"""The events themselves, in seq order per interview."""


class InvalidEventId(ValueError):
    """An ``after`` value that is not an event id this log hands out."""


class SubscriberLagged(Exception):
    """The subscriber fell too far behind the live stream and was closed; reconnect with ``after=last_id``."""

    def __init__(self, last_id: str | None, limit: int) -> None:
        super().__init__(f"subscriber fell more than {limit} events behind; reconnect with the last id it saw")
        self.last_id = last_id


class Event(BaseModel):
    """One event of an interview's stream."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Opaque, totally ordered per interview; a client resumes with the last id it saw."""
    interview_id: str
    tenant_id: str
    type: EventType
    data: dict[str, Any]
    """JSON-safe; never another tenant's ids, never secrets."""
    recruiter_only: bool = False
    """Proctoring signals and evaluation scores never reach the candidate."""
    created_at: datetime

    @property
    def seq(self) -> int:
        return int(self.id)


def format_event_id(seq: int) -> str:
    return str(seq).zfill(ID_WIDTH)


def parse_event_id(event_id: str | None) -> int:
    """The seq an id stands for; None (from the start) is 0. Anything else is InvalidEventId."""
    if event_id is None:
        return 0
    if not isinstance(event_id, str) or not event_id.isascii() or not event_id.isdigit() or len(event_id) > 18:
        raise InvalidEventId("invalid event id; pass the id of an event this stream sent")
    return int(event_id)


def _row_to_event(row: sa.Row[Any]) -> Event:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return Event(id=format_event_id(row.seq), interview_id=row.interview_id, tenant_id=row.tenant_id,
                 type=row.type, data=row.data, recruiter_only=row.recruiter_only, created_at=created)


def _checked(new: NewEvent) -> NewEvent:
    """The event with its data as JSON gives it back; ValueError for an unknown type or data JSON cannot hold."""
    if new.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {new.type!r}")
    try:
        data = json.loads(json.dumps(new.data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"event data is not JSON-safe: {exc}") from exc
    return replace(new, data=data)


@functools.cache
def _publishing(dialect: str) -> tuple[sa.Insert, sa.Insert]:
    """The statements of a publish, built once per dialect: take the next ``last_seq`` seq numbers of the
    interview's stream (creating it), returning the last and the stream's tenant; store one event unless
    its dedupe key is taken, returning its seq."""
    insert = dialect_insert(dialect)
    stream = insert(event_streams)
    next_seqs = stream.on_conflict_do_update(
        index_elements=[event_streams.c.interview_id],
        set_={"last_seq": event_streams.c.last_seq + stream.excluded.last_seq,
              "updated_at": stream.excluded.updated_at},
    ).returning(event_streams.c.last_seq, event_streams.c.tenant_id)
    append = insert(events).on_conflict_do_nothing(index_elements=[events.c.interview_id, events.c.dedupe_key]) \
        .returning(events.c.seq)
    return next_seqs, append


@dataclass(eq=False)
class _Subscriber:
    """One live subscription in this process: its cursor and its bounded queue."""

    tenant_id: str
    include_recruiter_only: bool
    cursor: int
    limit: int
    live: bool = False
    queued_upto: int = 0
    items: deque[Event] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    poked: bool = False
    lagged: bool = False
    closed: bool = False

    def offer(self, event: Event) -> bool:
        """Queue a live event; False when the queue is full (the subscriber is then lagged)."""
        if (not self.live or self.lagged or event.tenant_id != self.tenant_id
                or event.seq <= max(self.cursor, self.queued_upto)):
            return True
        if len(self.items) >= self.limit:
            self.lagged = True
            self.items.clear()
            self.wake.set()
            return False
        self.items.append(event)
        self.queued_upto = event.seq
        self.wake.set()
        return True

    def poke(self) -> None:
        self.poked = True
        self.wake.set()

    def visible(self, event: Event) -> bool:
        return self.include_recruiter_only or not event.recruiter_only


@dataclass(eq=False)
class _LocalStream:
    """The subscribers of one interview in this process and what this process has fetched for them."""

    subscribers: set[_Subscriber] = field(default_factory=set)
    fetched: int | None = None
    wanted: int = 0
    fetcher: asyncio.Task[None] | None = None


class EventLog:
    """Durable per-interview event log with live fan-out across processes.

    Use as ``async with EventLog(db, broker) as log`` (or call ``start``/``aclose``; ``subscribe`` starts
    it on first use, while ``publish`` needs no listener and works unstarted, as in a worker process).
    ``queue_size`` bounds each subscriber's backlog of live events;
    ``catchup_interval_s`` is how often missed notices are looked for.
    """

    def __init__(self, db: AsyncEngine, broker: Broker, *, queue_size: int = 1000, catchup_interval_s: float = 5.0,
                 page_size: int = 500) -> None:
        self._db = db
        self._broker = broker
        self._queue_size = queue_size
        self._catchup_interval_s = catchup_interval_s
        self._page_size = page_size
        self._retry_s = min(1.0, catchup_interval_s)
        self._local: dict[str, _LocalStream] = {}
        self._started = False
        self._start_lock = asyncio.Lock()
        self._catchup: asyncio.Task[None] | None = None
        self._catchup_now = asyncio.Event()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Connect the broker and start the periodic catch-up. Idempotent."""
        async with self._start_lock:
            if self._started:
                return
            await self._broker.start(self._on_notice, self._catchup_now.set)
            self._catchup = asyncio.create_task(self._catchup_loop(), name="event-log-catchup")
            self._started = True

    async def aclose(self) -> None:
        """Stop listening; live subscriptions end."""
        async with self._start_lock:
            if not self._started:
                return
            self._started = False
            tasks = [t for t in [self._catchup, *(s.fetcher for s in self._local.values())] if t is not None]
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._catchup = None
            for stream in self._local.values():
                for sub in stream.subscribers:
                    sub.closed = True
                    sub.wake.set()
            await self._broker.aclose()

    # writing

    async def publish(self, *, tenant_id: str, interview_id: str, type: EventType, data: dict[str, Any],
                      recruiter_only: bool = False, dedupe_key: str | None = None) -> Event:
        """Append an event and announce it. With ``dedupe_key`` (unique per interview) a second publish of
        the same logical event returns the first one instead of appending a duplicate."""
        published = await self.publish_all(tenant_id=tenant_id, interview_id=interview_id, events=[
            NewEvent(type, data, recruiter_only=recruiter_only, dedupe_key=dedupe_key)])
        return published[0]

    async def publish_all(self, *, tenant_id: str, interview_id: str, events: Sequence[NewEvent]) -> list[Event]:
        """Append several events of one interview in one transaction, in order, and announce them; as
        ``publish`` for each (one already published under its dedupe key is returned as it was)."""
        checked = [_checked(new) for new in events]
        now = datetime.now(UTC)
        published = await self._append(tenant_id, interview_id, checked, now) if len(checked) > 1 else None
        if published is None:  # one at a time (a batch with a dedupe key taken: a retried job's)
            published = [await self._append_one(tenant_id, interview_id, new, now) for new in checked]
        self._hand_over(interview_id, published)
        for event in published:
            try:
                await self._broker.publish(interview_id, event.seq)
            except Exception as exc:  # the event is stored; catch-up delivers it
                log.warning("could not announce event %s of interview %s (%s: %s); listeners will catch up",
                            event.id, interview_id, exc.__class__.__name__, exc)
        return published

    async def _append(self, tenant_id: str, interview_id: str, new: list[NewEvent],
                      now: datetime) -> list[Event] | None:
        """Store events under the next seq numbers of the interview's stream (whose row lock orders
        publishers until commit); None, with nothing stored, when one's dedupe key is taken."""
        async with self._db.connect() as conn:
            transaction = await conn.begin()
            next_seqs, append = _publishing(conn.dialect.name)
            last, owner = (await conn.execute(next_seqs, {
                "interview_id": interview_id, "tenant_id": tenant_id, "last_seq": len(new), "updated_at": now,
            })).one()
            if owner != tenant_id:
                await transaction.rollback()
                raise ValueError("the interview's events belong to another tenant")
            stored = []
            for seq, event in enumerate(new, start=last - len(new) + 1):
                row = {"interview_id": interview_id, "seq": seq, "tenant_id": tenant_id, "type": event.type,
                       "data": event.data, "recruiter_only": event.recruiter_only, "dedupe_key": event.dedupe_key,
                       "created_at": now}
                if (await conn.execute(append, row)).first() is None:  # published before: undo the seqs
                    await transaction.rollback()
                    return None
                stored.append(Event(id=format_event_id(seq), interview_id=interview_id, tenant_id=tenant_id,
                                    type=event.type, data=event.data, recruiter_only=event.recruiter_only,
                                    created_at=now))
            await transaction.commit()
        return stored

    async def _append_one(self, tenant_id: str, interview_id: str, new: NewEvent, now: datetime) -> Event:
        """Store one event, or return the one stored earlier under its dedupe key."""
        stored = await self._append(tenant_id, interview_id, [new], now)
        if stored is not None:
            return stored[0]
        async with self._db.connect() as conn:
            existing = (await conn.execute(sa.select(events).where(
                events.c.interview_id == interview_id, events.c.dedupe_key == new.dedupe_key))).one()
        return _row_to_event(existing)

    async def delete_interview(self, *, tenant_id: str, interview_id: str) -> None:
        """Remove every event of an interview (the interview itself is being deleted)."""
        async with self._db.begin() as conn:
            await conn.execute(events.delete().where(events.c.interview_id == interview_id,
                                                     events.c.tenant_id == tenant_id))
            await conn.execute(event_streams.delete().where(event_streams.c.interview_id == interview_id,
                                                            event_streams.c.tenant_id == tenant_id))

    async def prune(self, *, idle_before: datetime) -> int:
        """Remove the events of interviews whose last event is older than ``idle_before``; returns how many
        interviews' streams were removed."""
        async with self._db.begin() as conn:
            idle = sa.select(event_streams.c.interview_id).where(event_streams.c.updated_at < idle_before)
            await conn.execute(events.delete().where(events.c.interview_id.in_(idle)))
            result = await conn.execute(event_streams.delete().where(event_streams.c.updated_at < idle_before))
            return result.rowcount

    # reading

    async def read(self, *, tenant_id: str, interview_id: str, after: str | None = None, limit: int = 500,
                   include_recruiter_only: bool = False) -> list[Event]:
        """Up to ``limit`` stored events after ``after``, oldest first (a page of the replay)."""
        events_after = await self._read_after(tenant_id, interview_id, parse_event_id(after), limit)
        return [e for e in events_after if include_recruiter_only or not e.recruiter_only]

    async def _read_after(self, tenant_id: str | None, interview_id: str, seq: int, limit: int) -> list[Event]:
        query = (sa.select(events).where(events.c.interview_id == interview_id, events.c.seq > seq)
                 .order_by(events.c.seq).limit(limit))
        if tenant_id is not None:
            query = query.where(events.c.tenant_id == tenant_id)
        # Shielded: a socket that closes mid-read (the usual way a stream ends) must not cancel the query,
        # which would throw the pooled connection away and make the next request open a new one.
        with anyio.CancelScope(shield=True):
            async with self._db.connect() as conn:
                rows = (await conn.execute(query)).all()
        return [_row_to_event(row) for row in rows]

    async def subscribe(self, *, tenant_id: str, interview_id: str, after: str | None = None,
                        include_recruiter_only: bool = False) -> AsyncIterator[Event]:
        """Every event after ``after`` (replayed from the table), then live ones as they are published in
        any process, in order, without gaps or duplicates. Raises ``InvalidEventId`` for a bad ``after`` and
        ``SubscriberLagged`` when the consumer falls more than ``queue_size`` events behind. Ends when the
        caller stops iterating; wrap it in ``contextlib.aclosing`` to release it promptly."""
        sub = _Subscriber(tenant_id, include_recruiter_only, parse_event_id(after), self._queue_size)
        await self.start()
        stream = self._local.setdefault(interview_id, _LocalStream())
        stream.subscribers.add(sub)
        try:
            async for event in self._catch_up(sub, interview_id):
                yield event
            sub.live = True
            sub.queued_upto = sub.cursor
            sub.poked = True  # read what was committed while going live, with the retries of any later read
            while not sub.closed:
                if sub.lagged:
                    raise SubscriberLagged(format_event_id(sub.cursor) if sub.cursor else None, self._queue_size)
                if sub.poked:
                    sub.poked = False
                    try:
                        async for event in self._catch_up(sub, interview_id):
                            yield event
                    except (sa.exc.SQLAlchemyError, OSError) as exc:  # the database is away: try again soon
                        log.warning("reading events of interview %s failed (%s: %s); retrying", interview_id,
                                    exc.__class__.__name__, exc)
                        await asyncio.sleep(self._retry_s)
                        sub.poked = True
                    continue
                if not sub.items:
                    sub.wake.clear()
                    await sub.wake.wait()
                    continue
                event = sub.items.popleft()
                if event.seq <= sub.cursor:
                    continue
                if event.seq > sub.cursor + 1:  # a notice was lost: the table has what is between
                    sub.items.appendleft(event)
                    sub.poked = True
                    continue
                sub.cursor = event.seq
                if sub.visible(event):
                    yield event
        finally:
            stream.subscribers.discard(sub)
            if not stream.subscribers and self._local.get(interview_id) is stream:
                del self._local[interview_id]
                if stream.fetcher is not None:
                    stream.fetcher.cancel()

    async def _catch_up(self, sub: _Subscriber, interview_id: str) -> AsyncIterator[Event]:
        """Everything stored after the subscriber's cursor, page by page."""
        while True:
            page = await self._read_after(sub.tenant_id, interview_id, sub.cursor, self._page_size)
            for event in page:
                if event.seq <= sub.cursor:
                    continue
                sub.cursor = event.seq
                if sub.visible(event):
                    yield event
            if len(page) < self._page_size:
                return

    # fan-out in this process

    def _hand_over(self, interview_id: str, published: list[Event]) -> None:
        """Offer events this process just stored to its own subscribers, so that their notice (which comes
        back to this process too) needs no read of the table. Only when they follow what was fetched:
        otherwise the notice's read fills the gap."""
        stream = self._local.get(interview_id)
        if stream is None or not published:
            return
        for event in published:
            self._offer(stream, event)
        if stream.fetched is None or stream.fetched >= published[0].seq - 1:
            stream.fetched = max(stream.fetched or 0, published[-1].seq)

    def _on_notice(self, interview_id: str, seq: int) -> None:
        stream = self._local.get(interview_id)
        if stream is None:
            return
        stream.wanted = max(stream.wanted, seq)
        if stream.fetched is not None and stream.fetched >= seq:
            return  # handed over already (or fetched)
        if stream.fetcher is None or stream.fetcher.done():
            stream.fetcher = asyncio.create_task(self._fetch(interview_id, stream), name="event-log-fetch")

    async def _fetch(self, interview_id: str, stream: _LocalStream) -> None:
        """Read newly announced events once and offer them to every local subscriber."""
        try:
            while stream.subscribers and (stream.fetched is None or stream.fetched < stream.wanted):
                after = stream.fetched if stream.fetched is not None else stream.wanted - 1
                page = await self._read_after(None, interview_id, after, self._page_size)
                if not page:
                    stream.fetched = max(after, stream.fetched or 0)
                    break
                for event in page:
                    self._offer(stream, event)
                stream.fetched = page[-1].seq
        except Exception:
            log.exception("reading new events of interview %s failed; catching its subscribers up from the table",
                          interview_id)
            self._catchup_now.set()  # now, not at the next periodic pass: the catch-up retries until it reads

    def _offer(self, stream: _LocalStream, event: Event) -> None:
        for sub in list(stream.subscribers):
            if not sub.offer(event):
                log.warning("closing a subscriber of interview %s: more than %d events behind",
                            event.interview_id, self._queue_size)
                stream.subscribers.discard(sub)

    async def _catchup_loop(self) -> None:
        """Poke subscribers whose stream has events they have not been offered (lost notices, reconnects)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._catchup_now.wait(), self._catchup_interval_s)
            self._catchup_now.clear()
            try:
                await self._poke_behind(list(self._local))
            except Exception as exc:  # e.g. right after a reconnect, before the database is back too
                log.warning("event catch-up failed (%s: %s); trying again in %g s", type(exc).__name__, exc,
                            self._retry_s)
                await asyncio.sleep(self._retry_s)
                self._catchup_now.set()

    async def _poke_behind(self, interview_ids: Iterable[str]) -> None:
        ids = list(interview_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            async with self._db.connect() as conn:
                rows = (await conn.execute(sa.select(event_streams.c.interview_id, event_streams.c.last_seq)
                                           .where(event_streams.c.interview_id.in_(chunk)))).all()
            for interview_id, last_seq in rows:
                stream = self._local.get(interview_id)
                for sub in list(stream.subscribers) if stream else []:
                    if sub.live and max(sub.cursor, sub.queued_upto) < last_seq:
                        sub.poke()
