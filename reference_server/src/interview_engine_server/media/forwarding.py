"""A live request passed on to the server that holds the interview's peer, and its reply passed back.

The request goes as the candidate sent it (method, path, query, body, bearer token), so the holder checks
everything again itself; it carries ``X-Interview-Engine-Forwarded`` so it is never passed on twice, and
``X-Forwarded-For`` with the candidate's address (which the holder trusts only from its proxies).
"""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import Response

FORWARDED_HEADER = "x-interview-engine-forwarded"
TIMEOUT_S = 40.0
"""Above the longest a holder takes to answer ("done" waits up to 30 s for the transcript)."""
_PASSED_ON = ("authorization", "content-type", "user-agent")
_PASSED_BACK = ("content-type", "retry-after")


class HolderUnreachable(Exception):
    """The server named as the peer's holder did not answer (it stopped, or its address is wrong)."""


async def forward(client: httpx.AsyncClient, request: Request, server_url: str, *, method: str | None = None,
                  path: str | None = None) -> Response:
    """Send ``request`` (or ``method`` on ``path`` with its credentials and no body) to ``server_url``."""
    headers = {name: request.headers[name] for name in _PASSED_ON if name in request.headers}
    headers[FORWARDED_HEADER] = "1"
    client_ip = request.client.host if request.client else None
    chain = [h for h in (request.headers.get("x-forwarded-for"), client_ip) if h]
    if chain:
        headers["x-forwarded-for"] = ", ".join(chain)
    body = b"" if path is not None else await request.body()
    url = server_url + (path if path is not None else request.url.path)
    params = None if path is not None else request.url.query
    try:
        reply = await client.request(method or request.method, url, params=params or None, content=body,
                                     headers=headers, timeout=TIMEOUT_S)
    except httpx.TransportError as exc:
        raise HolderUnreachable(f"{server_url}: {exc!r}") from exc
    kept = {name: reply.headers[name] for name in _PASSED_BACK if name in reply.headers}
    return Response(reply.content, status_code=reply.status_code, headers=kept)


def was_forwarded(request: Request) -> bool:
    return FORWARDED_HEADER in request.headers
