"""The event stream of one interview over a WebSocket, fed by the EventLog (every process's events).

Protocol (documented in the OpenAPI description as ``WEBSOCKET_DOC``): authenticate with an
``Authorization`` header or a first message ``{"type": "auth", "token": …, "after": …}``; receive
``{"type": "ready"}``, then ``{"type": "event", "event": {…}}`` in order and ``{"type": "heartbeat"}``
every few seconds. Send ``{"type": "auth", "token": …}`` with a fresh token before the current one
expires. Reconnect with ``?after=<last event id>`` (or ``after`` in the auth message) to get what was missed.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .auth.principals import ApiKeyPrincipal, CandidatePrincipal, Principal
from .clock import utcnow
from .errors import ApiError
from .events import Event, InvalidEventId, SubscriberLagged, format_event_id, parse_event_id
from .security import INTERVIEW_PATH

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_INTERNAL = 1011
CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_AUTH_TIMEOUT = 4408
CLOSE_LAGGED = 4409
CLOSE_RATE_LIMITED = 4429
MAX_MESSAGE_CHARS = 8192

WEBSOCKET_DOC = f"""## Event stream (WebSocket)

`GET /v1/interviews/{{interview_id}}/events` upgrades to a WebSocket carrying the interview's events in
order: question asked, answer recorded, evaluation status, transcripts, pause/resume, finished, report
ready. Candidates (candidate or summary token) see the candidate's events; recruiters (any role) also see
recruiter-only ones (evaluation scores, proctoring signals).

1. Authenticate: an `Authorization: Bearer` header, or as the first message (browsers)
   `{{"type": "auth", "token": "<token>", "after": "<last event id>"}}` within the auth timeout.
2. The server answers `{{"type": "ready"}}`, then sends every event after `after` (from `?after=` or the
   message) and the live ones: `{{"type": "event", "event": {{"id", "interview_id", "type", "data",
   "recruiter_only", "created_at"}}}}`, and `{{"type": "heartbeat", "at": "<time>"}}` every few seconds.
3. Send `{{"type": "auth", "token": "<fresh token>"}}` before the token expires to keep the socket;
   `{{"type": "ping"}}` is answered with `{{"type": "pong"}}`.
4. After a disconnect, reconnect with the id of the last event received: nothing is missed or repeated.

The handshake is refused (HTTP 403) for a browser origin the interview's tenant does not allow.
Close codes: `{CLOSE_NORMAL}` normal, `{CLOSE_GOING_AWAY}` server shutting down, `{CLOSE_INTERNAL}` internal
error, `{CLOSE_BAD_MESSAGE}` malformed message or `after`, `{CLOSE_UNAUTHENTICATED}` missing, invalid,
expired or revoked credential (reconnect with a fresh one), `{CLOSE_FORBIDDEN}` credential not accepted here,
`{CLOSE_NOT_FOUND}` no such interview, `{CLOSE_AUTH_TIMEOUT}` no credential in time, `{CLOSE_LAGGED}` the
client fell too far behind (reconnect with `after`), `{CLOSE_RATE_LIMITED}` too many requests.
"""


class CloseSocket(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


async def interview_events(websocket: WebSocket) -> None:
    """The WebSocket route. Every exit closes the socket with a documented code."""
    services: Services = websocket.app.state.services
    interview_id = str(websocket.path_params.get("interview_id", ""))
    origin = websocket.headers.get("origin")
    if origin is not None and not await services.origins.allows(origin, interview_id):
        await websocket.close(CLOSE_FORBIDDEN)  # before accept: the handshake is refused with 403
        return
    await websocket.accept()
    stream = _EventStream(websocket, services, interview_id)
    try:
        await stream.run()
    except CloseSocket as exc:
        await stream.close(exc.code, exc.reason)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("event stream of interview %s failed", interview_id)
        await stream.close(CLOSE_INTERNAL, "internal error")
    else:
        await stream.close(CLOSE_NORMAL, "")


class _EventStream:
    def __init__(self, websocket: WebSocket, services: Services, interview_id: str) -> None:
        self.websocket, self.services, self.interview_id = websocket, services, interview_id
        self.credential = ""
        self.principal: Principal | None = None
        self._send_lock = anyio.Lock()
        self._delivered = 0
        """The seq of the last event sent: the pump and the last catch-up before a close send each once."""

    async def run(self) -> None:
        if not INTERVIEW_PATH.match(f"/v1/interviews/{self.interview_id}"):
            raise CloseSocket(CLOSE_NOT_FOUND, "no such interview")
        after = self.websocket.query_params.get("after")
        header = self.websocket.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            await self._authenticate(header[7:].strip())
        else:
            with anyio.move_on_after(self.services.settings.ws_auth_timeout_s) as scope:
                message = await self._receive()
            if scope.cancelled_caught:
                raise CloseSocket(CLOSE_AUTH_TIMEOUT, "no credential received in time")
            if message.get("type") != "auth" or not isinstance(message.get("token"), str):
                raise CloseSocket(CLOSE_BAD_MESSAGE, 'the first message must be {"type": "auth", "token": ...}')
            await self._authenticate(message["token"])
            if isinstance(message.get("after"), str):
                after = message["after"]
        principal = self.principal
        assert principal is not None
        events = self.services.events.subscribe(
            tenant_id=principal.tenant_id, interview_id=self.interview_id, after=after,
            include_recruiter_only=not isinstance(principal, CandidatePrincipal))
        with contextlib.suppress(InvalidEventId):  # the subscription refuses it with the right close code
            self._delivered = parse_event_id(after)
        await self._send({"type": "ready"})
        outcome: list[BaseException] = []
        async with _closing(events), anyio.create_task_group() as tasks:
            for part in (self._pump(events), self._listen(), self._heartbeat()):
                tasks.start_soon(_first_ending, part, tasks, outcome)
        if outcome:
            raise outcome[0]

    async def _authenticate(self, credential: str) -> None:
        """Check the credential (the first or a fresh one); it must be for this interview's tenant."""
        services = self.services
        try:
            principal = await services.authenticator.credential(credential)
            await services.rate_limits.hit_principal(principal)
        except ApiError as exc:
            code = CLOSE_RATE_LIMITED if exc.status == 429 else CLOSE_UNAUTHENTICATED
            raise CloseSocket(code, exc.message) from None
        if isinstance(principal, ApiKeyPrincipal):
            raise CloseSocket(CLOSE_FORBIDDEN, "use a candidate token or a recruiter session")
        if self.principal is not None and (principal.kind, principal.tenant_id) != (
                self.principal.kind, self.principal.tenant_id):
            raise CloseSocket(CLOSE_FORBIDDEN, "a fresh credential must be of the same kind")
        if isinstance(principal, CandidatePrincipal):
            if principal.interview_id != self.interview_id:
                raise CloseSocket(CLOSE_NOT_FOUND, "no such interview")
        elif self.principal is None and await services.records.get(self.interview_id, principal.tenant_id) is None:
            raise CloseSocket(CLOSE_NOT_FOUND, "no such interview")
        self.credential, self.principal = credential, principal

    async def _pump(self, events: AsyncIterator[Event]) -> None:
        try:
            async for event in events:
                await self._deliver(event)
        except SubscriberLagged:
            last_id = format_event_id(self._delivered) if self._delivered else None
            raise CloseSocket(CLOSE_LAGGED, f"too far behind; reconnect with after={last_id}") from None
        except InvalidEventId:
            raise CloseSocket(CLOSE_BAD_MESSAGE, "after is not an event id of this stream") from None

    async def _listen(self) -> None:
        while True:
            message = await self._receive()
            kind = message.get("type")
            if kind == "ping":
                await self._send({"type": "pong"})
            elif kind == "auth" and isinstance(message.get("token"), str):
                await self._authenticate(message["token"])
                await self._send({"type": "ready"})
            else:
                raise CloseSocket(CLOSE_BAD_MESSAGE, "unknown message")

    async def _heartbeat(self) -> None:
        """Heartbeats; and on each, the credential is checked again (expiry, revocation, logout)."""
        while True:
            await anyio.sleep(min(self.services.settings.ws_heartbeat_s, self._seconds_left()))
            if self._seconds_left() <= 0:
                raise CloseSocket(CLOSE_UNAUTHENTICATED, "the credential expired; reconnect with a fresh one")
            try:
                await self.services.authenticator.credential(self.credential)
            except ApiError as exc:
                await self._deliver_stored()  # e.g. a finish in another process: its event, then the close
                raise CloseSocket(CLOSE_UNAUTHENTICATED, exc.message) from None
            await self._send({"type": "heartbeat", "at": utcnow().isoformat()})

    async def _deliver(self, event: Event) -> None:
        """Send one event unless it was sent already (events come in order, so the seq says)."""
        async with self._send_lock:
            if event.seq <= self._delivered:
                return
            message = {"type": "event", "event": event.model_dump(mode="json", exclude={"tenant_id"})}
            await self.websocket.send_text(json.dumps(message))
            self._delivered = event.seq

    async def _deliver_stored(self) -> None:
        """Send what is stored and not sent yet, as the live stream would have until this check: a notice
        from another process may still be on its way when the credential stops working."""
        principal = self.principal
        assert principal is not None
        stored = await self.services.events.read(
            tenant_id=principal.tenant_id, interview_id=self.interview_id,
            after=format_event_id(self._delivered) if self._delivered else None,
            include_recruiter_only=not isinstance(principal, CandidatePrincipal))
        for event in stored:
            await self._deliver(event)

    def _seconds_left(self) -> float:
        expires: datetime | None = getattr(self.principal, "expires_at", None)
        return float("inf") if expires is None else (expires - utcnow()).total_seconds()

    async def _receive(self) -> dict[str, Any]:
        text = await self.websocket.receive_text()
        if len(text) > MAX_MESSAGE_CHARS:
            raise CloseSocket(CLOSE_BAD_MESSAGE, "message too long")
        try:
            message = json.loads(text)
        except ValueError:
            raise CloseSocket(CLOSE_BAD_MESSAGE, "messages are JSON objects") from None
        if not isinstance(message, dict):
            raise CloseSocket(CLOSE_BAD_MESSAGE, "messages are JSON objects")
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_text(json.dumps(message))

    async def close(self, code: int, reason: str) -> None:
        if self.websocket.application_state == WebSocketState.DISCONNECTED:
            return
        try:
            await self.websocket.close(code, reason[:120])
        except (RuntimeError, OSError):
            pass  # the client is already gone


async def _first_ending(part: Awaitable[None], tasks: TaskGroup, outcome: list[BaseException]) -> None:
    """Run one part of the stream; when any part ends (or fails), stop the others and keep its outcome."""
    try:
        await part
    except (CloseSocket, WebSocketDisconnect) as exc:
        outcome.append(exc)
    finally:
        tasks.cancel_scope.cancel()


@asynccontextmanager
async def _closing(events: AsyncIterator[Event]) -> AsyncIterator[None]:
    """Release the subscription promptly when the socket ends (the iterator is an async generator)."""
    try:
        yield
    finally:
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()
