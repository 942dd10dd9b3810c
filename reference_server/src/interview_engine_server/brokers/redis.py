"""Redis pub/sub broker: used whenever a Redis URL is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from . import CHANNEL, NoticeHandler, ReconnectHandler, decode_notice, encode_notice
from .reconnect import ListenLoop

log = logging.getLogger(__name__)


class RedisBroker:
    """A dedicated pub/sub connection listens (pinged when idle, reconnected with backoff when lost); notices
    are published through an ordinary client that reconnects by itself."""

    def __init__(self, redis_url: str, *, health_interval_s: float = 5.0, connect_timeout_s: float = 5.0) -> None:
        import redis.asyncio as aioredis

        self._url = redis_url
        self._health_interval_s = health_interval_s
        self._connect_timeout_s = connect_timeout_s
        self._publisher: Any = aioredis.Redis.from_url(redis_url, socket_connect_timeout=connect_timeout_s,
                                                       socket_timeout=connect_timeout_s)
        self._on_notice: NoticeHandler | None = None
        self._on_reconnect: ReconnectHandler | None = None
        self._listener = ListenLoop("redis", self._listen_once)

    async def start(self, on_notice: NoticeHandler, on_reconnect: ReconnectHandler) -> None:
        self._on_notice, self._on_reconnect = on_notice, on_reconnect
        self._listener.start()

    async def _listen_once(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self._url, socket_connect_timeout=self._connect_timeout_s)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(CHANNEL)
            log.info("listening for event notices on Redis channel %s", CHANNEL)
            if self._on_reconnect is not None:
                self._on_reconnect()
            loop = asyncio.get_running_loop()
            heard = loop.time()
            pinged = False
            while True:
                message = await pubsub.get_message(timeout=self._health_interval_s)
                if message is not None:
                    heard, pinged = loop.time(), False
                    if message["type"] == "message":
                        self._received(message["data"])
                    continue
                if loop.time() - heard < self._health_interval_s:
                    continue
                if pinged:
                    raise ConnectionError(f"no answer to PING within {self._health_interval_s:g} s")
                await pubsub.ping()
                pinged = True
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    def _received(self, payload: bytes) -> None:
        notice = decode_notice(payload)
        if notice is not None and self._on_notice is not None:
            self._on_notice(*notice)

    async def publish(self, interview_id: str, seq: int) -> None:
        await self._publisher.publish(CHANNEL, encode_notice(interview_id, seq))

    async def aclose(self) -> None:
        await self._listener.stop()
        await self._publisher.aclose()
