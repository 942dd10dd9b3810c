"""The Starlette application: the route table mounted, middleware, and a lifespan that owns one Engine,
the server's database and the event and webhook services.

    uvicorn --factory interview_engine_server.app:create_app      # settings from the environment
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from interview_engine import Engine

from .api import ENDPOINTS
from .brokers import configured_redis_url
from .db import open_database
from .docs_page import docs_routes_handlers
from .errors import error_response
from .events import EventLog, make_broker
from .openapi import openapi_document
from .pages import page_routes
from .ratelimits import limits_storage_uri
from .routing import starlette_routes
from .security import BodyLimit, IpRateLimit, SecureHeaders, TenantCors
from .services import Services
from .settings import ServerSettings, load_server_settings
from .webhooks import WebhookService
from .websocket import interview_events
from .widget_assets import widget_routes

log = logging.getLogger(__name__)

HTTP_ERROR_CODES = {404: "not_found", 405: "method_not_allowed"}


def create_app(settings: ServerSettings | None = None, *, engine: Engine | None = None) -> Starlette:
    """The server application. ``engine`` is an Engine not yet opened (default: one from the SDK's
    settings in the environment); the app opens it on startup and closes it on shutdown."""
    settings = settings or load_server_settings()
    settings.require_secret()
    document = openapi_document(ENDPOINTS, server_url=settings.public_url)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    routes: list[BaseRoute] = [*starlette_routes(ENDPOINTS)]
    routes += [Route("/v1/openapi.json", openapi, methods=["GET"]),
               WebSocketRoute("/v1/interviews/{interview_id}/events", interview_events), *widget_routes()]
    if settings.docs:
        docs, stylesheet = docs_routes_handlers(document)
        routes += [Route("/docs", docs, methods=["GET"]), Route("/docs/docs.css", stylesheet, methods=["GET"])]
    routes += page_routes(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with engine or Engine() as opened:
            redis = configured_redis_url(opened.settings)
            db = await open_database(opened.settings.database_url, pool_size=settings.db_pool_size)
            try:
                broker = make_broker(database_url=opened.settings.database_url, redis_url=redis)
                async with EventLog(db, broker) as events, WebhookService(db) as webhooks:
                    services = Services.build(
                        settings, opened, db, events, webhooks,
                        rate_limit_storage=limits_storage_uri(settings.rate_limit_storage, redis))
                    opened.plugins.register(services.hooks, name="interview_engine_server")
                    app.state.services = services
                    await services.media.start()
                    try:
                        yield
                    finally:
                        await services.media.aclose()
            finally:
                await db.dispose()

    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecureHeaders, hsts=settings.public_url.startswith("https://")),
            Middleware(IpRateLimit),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
            Middleware(TenantCors),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        lifespan=lifespan,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
    message = "no such route" if exc.status_code == 404 else str(exc.detail).lower()
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "an internal error occurred")
