"""The server's hooks in processes the server does not start, such as ``interview-engine worker``.

Installed as the ``server`` plugin of the ``interview_engine`` entry point group, so every Engine in a
process with this distribution loads it. It acts only when the server's settings are present (any
``INTERVIEW_ENGINE_SERVER_*`` variable in the environment, as a deployment gives its servers and workers)
and no app in the process registered its own ServerHooks. Then, on the first hook, it opens the SDK's
database (``INTERVIEW_ENGINE_DATABASE_URL``) and broker (``INTERVIEW_ENGINE_REDIS_URL``, else Postgres
LISTEN/NOTIFY) and publishes exactly what the server would: evaluation events and ``report.ready`` then
come from whichever process settles the last evaluation. Webhooks are only stored here; the servers'
delivery loops send them.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from interview_engine import load_settings

from .hooks import ServerHooks, registered_in_this_process

if TYPE_CHECKING:
    from .events import EventLog
    from .webhooks import WebhookService

log = logging.getLogger(__name__)

SERVER_ENV_PREFIX = "INTERVIEW_ENGINE_SERVER_"


def server_settings_present() -> bool:
    return any(name.startswith(SERVER_ENV_PREFIX) for name in os.environ)


class WorkerHooks(ServerHooks):
    """ServerHooks that build their EventLog and WebhookService from the environment on first use."""

    def __init__(self) -> None:
        self._built: tuple[EventLog, WebhookService] | None = None
        self._lock: asyncio.Lock | None = None

    async def _targets(self) -> tuple[EventLog, WebhookService] | None:
        if registered_in_this_process() or not server_settings_present():
            return None
        if self._built is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._built is None:
                    from sqlalchemy.ext.asyncio import create_async_engine

                    from .brokers import configured_redis_url
                    from .events import EventLog, make_broker
                    from .webhooks import WebhookService

                    settings = load_settings()
                    db = create_async_engine(settings.database_url, pool_pre_ping=True)
                    broker = make_broker(database_url=settings.database_url, redis_url=configured_redis_url(settings))
                    self._built = EventLog(db, broker), WebhookService(db)
                    log.info("publishing interview events and webhooks from this process")
        return self._built


plugin = WorkerHooks()
"""The entry point object."""
