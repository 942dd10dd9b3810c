"""ASGI middleware that applies to every request: secure headers, per-address rate limits, body size
caps (413, also for chunked bodies without Content-Length) and the per-tenant CORS allow-list."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, Forbidden, PayloadTooLarge

if TYPE_CHECKING:
    from .services import Services

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
INTERVIEW_PATH = re.compile(r"^/v1/interviews/([0-9a-f]{32})(?:/|$)")
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE"
CORS_HEADERS = "authorization, content-type"
CORS_EXPOSE = "retry-after, x-request-id"
CORS_MAX_AGE = "600"
OPEN_PATHS = ("/v1/openapi.json", "/v1/health")
"""Read-only public documents any origin may read."""


def _services(scope: Scope) -> Services:
    services: Services = scope["app"].state.services
    return services


class SecureHeaders:
    """Adds the secure headers to every HTTP response: a strict CSP unless the route set its own,
    nosniff, no framing, no referrer, ``no-store`` caching, and HSTS when served over https."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURE_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", API_CSP)
                headers.setdefault("cache-control", "no-store")
                if self.hsts:
                    headers.setdefault("strict-transport-security", "max-age=63072000; includeSubDomains")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class IpRateLimit:
    """Every HTTP request and WebSocket handshake counts against its client address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            try:
                await _services(scope).rate_limits.hit_ip(client[0] if client else None)
            except ApiError as exc:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 4429, "reason": "rate limited"})
                    return
                await exc.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses bodies over ``max_bytes``: at once when Content-Length says so, else as the chunks arrive
    (the route's body read raises PayloadTooLarge, which the route turns into the 413 error)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            too_large = PayloadTooLarge(f"the body is larger than {self.max_bytes} bytes")
            await too_large.response()(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(f"the body is larger than {self.max_bytes} bytes")
            return message

        await self.app(scope, counting_receive, send)


class TenantCors:
    """CORS per tenant: a browser origin may call an interview's routes when the interview's tenant lists
    it (or it is the server's own origin). Other cross-origin API requests are refused with 403 before
    they reach a route, preflight or not. No cookies are used, so credentials are never allowed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        path: str = scope["path"]
        if origin is None or not path.startswith("/v1/") or path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        match = INTERVIEW_PATH.match(path)
        if not await _services(scope).origins.allows(origin, match.group(1) if match else None):
            response = Forbidden("this origin may not call the API", code="origin_not_allowed").response()
            await response(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(status_code=204, headers={
                "access-control-allow-origin": origin, "access-control-allow-methods": CORS_METHODS,
                "access-control-allow-headers": CORS_HEADERS, "access-control-max-age": CORS_MAX_AGE,
                "vary": "Origin",
            })
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["access-control-allow-origin"] = origin
                response_headers["access-control-expose-headers"] = CORS_EXPOSE
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)
