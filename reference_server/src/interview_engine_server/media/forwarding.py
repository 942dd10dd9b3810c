"""A live request passed on to the server that holds the interview's peer, and its reply passed back
(servers with ``live_server_url``; :mod:`.owners` says which server holds each interview's peer).

The request goes as the candidate sent it (method, path, query, body, bearer token), so the holder checks
everything again itself; it carries ``X-Interview-Engine-Forwarded`` so it is never passed on twice, and
``X-Forwarded-For`` with the candidate's address (which the holder trusts only from its proxies).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from ..errors import Conflict
from .owners import PeerOwner, PeerOwners
from .peer import PEER_EXISTS, PEER_REPLACED

if TYPE_CHECKING:
    from ..routing import Call

log = logging.getLogger(__name__)

FORWARDED_HEADER = "x-interview-engine-forwarded"
TIMEOUT_S = 40.0
"""Above the longest a holder takes to answer ("done" waits up to 30 s for the transcript)."""
_PASSED_ON = ("authorization", "content-type", "user-agent")
_PASSED_BACK = ("content-type", "retry-after")


class HolderUnreachable(Exception):
    """The server named as the peer's holder did not answer (it stopped, or its address is wrong)."""


class Forwarder:
    """Passes this server's live calls on to the server that holds the interview's peer."""

    def __init__(self, owners: PeerOwners) -> None:
        self.owners = owners
        self._http: httpx.AsyncClient | None = None

    async def reply_from_holder(self, call: Call[Any, Any], peer_id: str | None) -> Response | None:
        """The holder's reply to ``call`` (about ``peer_id``, or whichever peer it holds), when another
        server holds the interview's peer; None when this server should answer (then it holds none)."""
        owner = await self._other_holder(call)
        if owner is None or peer_id not in (None, owner.peer_id):
            return None
        try:
            return await forward(self._client(), call.request, owner.server_url)
        except HolderUnreachable as exc:
            await self._forget(call, owner, exc)
            return None

    async def close_at_holder(self, call: Call[Any, Any], *, peer_id: str | None, restart: bool) -> None:
        """Before a new offer: close the interview's peer where another server holds it (its last words
        are transcribed and saved first, so the new peer goes on with the answer)."""
        owner = await self._other_holder(call)
        if owner is None:
            return
        if owner.peer_id == peer_id and not restart:
            raise Conflict(PEER_EXISTS, code="peer_exists")
        if peer_id is not None and owner.peer_id != peer_id:
            raise Conflict(PEER_REPLACED, code="peer_replaced")
        await self.close_peer(call, owner)

    async def close_peer(self, call: Call[Any, Any], owner: PeerOwner) -> None:
        """Close ``owner``'s peer of the interview on its server, with the candidate's credentials."""
        path = f"/v1/interviews/{call.path['interview_id']}/webrtc/offer/{owner.peer_id}"
        try:
            await forward(self._client(), call.request, owner.server_url, method="DELETE", path=path)
        except HolderUnreachable as exc:
            await self._forget(call, owner, exc)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def _other_holder(self, call: Call[Any, Any]) -> PeerOwner | None:
        if was_forwarded(call.request):
            return None
        owner = await self.owners.owner(call.path["interview_id"])
        return None if owner is None or owner.server_url == self.owners.server_url else owner

    async def _forget(self, call: Call[Any, Any], owner: PeerOwner, exc: HolderUnreachable) -> None:
        log.warning("the server holding live peer %s did not answer (%s); forgetting it", owner.peer_id, exc)
        await self.owners.forget(call.path["interview_id"], owner)

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(trust_env=False)
        return self._http


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
