"""Brokers carry "interview X has a new event with sequence number N" between processes.

A notice carries ids only; every listener re-reads the event table, so a lost notice is healed by the next
read and by the event log's periodic catch-up. Pick one with ``make_broker``:

- ``InProcessBroker``: one process (SQLite, the embedded default);
- ``PostgresBroker``: Postgres ``LISTEN/NOTIFY`` (asyncpg), for several servers on one Postgres;
- ``RedisBroker``: Redis pub/sub, used whenever a Redis URL is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from interview_engine import Settings

NoticeHandler = Callable[[str, int], None]
"""Called on the event loop with (interview_id, seq) for every notice received."""
ReconnectHandler = Callable[[], None]
"""Called after the broker (re)connects, so the listener catches up on notices it may have missed."""

CHANNEL = "interview_engine_events"


class Broker(Protocol):
    """Fan-out of event notices across processes. One broker serves one EventLog."""

    async def start(self, on_notice: NoticeHandler, on_reconnect: ReconnectHandler) -> None:
        """Begin listening; keep reconnecting until ``aclose`` if the connection is lost."""

    async def publish(self, interview_id: str, seq: int) -> None:
        """Announce a committed event to every listener, in every process. May raise on a broken link;
        the caller logs it (the listeners' catch-up delivers the event anyway)."""

    async def aclose(self) -> None:
        """Stop listening and close connections."""


def encode_notice(interview_id: str, seq: int) -> str:
    return f"{interview_id}:{seq}"


def decode_notice(payload: str | bytes) -> tuple[str, int] | None:
    """The (interview_id, seq) of a notice, or None for a payload that is not one."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace")
    interview_id, _, seq = payload.rpartition(":")
    if not interview_id or not seq.isdigit():
        return None
    return interview_id, int(seq)


def make_broker(*, database_url: str, redis_url: str | None = None) -> Broker:
    """Redis pub/sub when ``redis_url`` is set, else LISTEN/NOTIFY for a Postgres database, else in-process."""
    if redis_url:
        from .redis import RedisBroker

        return RedisBroker(redis_url)
    if make_url(database_url).get_backend_name() == "postgresql":
        from .postgres import PostgresBroker

        return PostgresBroker(database_url)
    from .memory import InProcessBroker

    return InProcessBroker()


def configured_redis_url(settings: Settings) -> str | None:
    """The Redis URL when the deployment uses Redis (arq jobs, or a URL set explicitly), else None: every
    server and worker of one deployment must pick the same broker."""
    if settings.jobs == "arq" or "redis_url" in settings.model_fields_set:
        return settings.redis_url
    return None
