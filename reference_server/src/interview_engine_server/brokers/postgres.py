"""Postgres LISTEN/NOTIFY broker (asyncpg): several servers on one Postgres database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.engine import make_url

from . import CHANNEL, NoticeHandler, ReconnectHandler, decode_notice, encode_notice
from .reconnect import ListenLoop

log = logging.getLogger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://...``) as a plain libpq DSN asyncpg accepts."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresBroker:
    """One dedicated connection LISTENs (health-checked every ``health_interval_s`` and reconnected with
    backoff when lost); notices are sent on a second connection, reopened on the next publish after a failure."""

    def __init__(self, database_url: str, *, health_interval_s: float = 5.0, connect_timeout_s: float = 5.0) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._health_interval_s = health_interval_s
        self._connect_timeout_s = connect_timeout_s
        self._on_notice: NoticeHandler | None = None
        self._on_reconnect: ReconnectHandler | None = None
        self._listener = ListenLoop("postgres", self._listen_once)
        self._sender: Any = None
        self._send_lock = asyncio.Lock()

    async def start(self, on_notice: NoticeHandler, on_reconnect: ReconnectHandler) -> None:
        self._on_notice, self._on_reconnect = on_notice, on_reconnect
        self._listener.start()

    async def _connect(self) -> Any:
        import asyncpg

        return await asyncpg.connect(self._dsn, timeout=self._connect_timeout_s)

    async def _listen_once(self) -> None:
        conn = await self._connect()
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, self._received)
            log.info("listening for event notices on Postgres channel %s", CHANNEL)
            if self._on_reconnect is not None:
                self._on_reconnect()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._health_interval_s)
                    break
                await asyncio.wait_for(conn.execute("SELECT 1"), self._health_interval_s)
        finally:
            conn.terminate()

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        notice = decode_notice(payload)
        if notice is not None and self._on_notice is not None:
            self._on_notice(*notice)

    async def publish(self, interview_id: str, seq: int) -> None:
        async with self._send_lock:
            if self._sender is None or self._sender.is_closed():
                self._sender = await self._connect()
            try:
                await self._sender.execute("SELECT pg_notify($1, $2)", CHANNEL, encode_notice(interview_id, seq))
            except BaseException:
                self._sender.terminate()
                self._sender = None
                raise

    async def aclose(self) -> None:
        await self._listener.stop()
        async with self._send_lock:
            if self._sender is not None:
                self._sender.terminate()
                self._sender = None
