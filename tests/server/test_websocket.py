"""The event WebSocket: authentication by header or first message, candidate/recruiter visibility,
replay after an id, token refresh on the socket, revocation and expiry, origin checks, close codes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.websockets import WebSocketDisconnect

from interview_engine_server.brokers.memory import InProcessBroker
from interview_engine_server.events import EventLog
from interview_engine_server.websocket import (
    CLOSE_AUTH_TIMEOUT,
    CLOSE_BAD_MESSAGE,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHENTICATED,
)


def _publish(server: Any, created: dict[str, Any], kind: str, data: dict[str, Any], *,
             recruiter_only: bool = False) -> str:
    event = server.call(server.services.events.publish, tenant_id="acme", interview_id=created["interview_id"],
                        type=kind, data=data, recruiter_only=recruiter_only)
    return str(event.id)


def _events_until(ws: Any, last_id: str) -> list[dict[str, Any]]:
    """Events received up to and including ``last_id`` (the server's own events included)."""
    events: list[dict[str, Any]] = []
    while not events or events[-1]["id"] != last_id:
        message = ws.receive_json()
        if message["type"] == "event":
            events.append(message["event"])
    return events


def _next(ws: Any, *types: str) -> dict[str, Any]:
    """The next message of one of ``types``, skipping events and heartbeats in between."""
    for _ in range(50):
        message: dict[str, Any] = ws.receive_json()
        if message["type"] in types:
            return message
    raise AssertionError(f"no {types} message")


def _url(created: dict[str, Any], query: str = "") -> str:
    return f"/v1/interviews/{created['interview_id']}/events{query}"


def test_candidate_sees_candidate_events_and_recruiter_sees_all(server: Any) -> None:
    created = server.start_interview()
    token = created["candidate"]["token"]
    with server.client.websocket_connect(_url(created)) as candidate, \
            server.client.websocket_connect(_url(created), headers=server.admin()) as recruiter:
        candidate.send_json({"type": "auth", "token": token})
        assert candidate.receive_json() == {"type": "ready"}
        assert recruiter.receive_json() == {"type": "ready"}
        private = _publish(server, created, "evaluation.updated", {"scores": [1]}, recruiter_only=True)
        public = _publish(server, created, "answer.recorded", {"question_id": "q"})
        seen_by_recruiter = [e["id"] for e in _events_until(recruiter, public)]
        seen_by_candidate = _events_until(candidate, public)
    assert seen_by_recruiter[-2:] == [private, public]
    assert private not in [e["id"] for e in seen_by_candidate]
    assert seen_by_candidate[0]["type"] == "question.asked"  # published by the server's hooks at creation
    assert all("tenant_id" not in e for e in seen_by_candidate)


def test_reconnect_with_after_gets_only_what_was_missed(server: Any) -> None:
    created = server.start_interview()
    ids = [_publish(server, created, "answer.recorded", {"n": n}) for n in range(3)]
    headers = server.bearer(created["candidate"]["token"])
    with server.client.websocket_connect(_url(created, f"?after={ids[0]}"), headers=headers) as ws:
        assert ws.receive_json() == {"type": "ready"}
        assert [e["id"] for e in _events_until(ws, ids[2])] == ids[1:]
    with server.client.websocket_connect(_url(created)) as ws:  # `after` in the first message
        ws.send_json({"type": "auth", "token": created["candidate"]["token"], "after": ids[1]})
        assert ws.receive_json() == {"type": "ready"}
        assert [e["id"] for e in _events_until(ws, ids[2])] == ids[2:]


def _close_code(server: Any, url: str, *, headers: dict[str, str] | None = None,
                first: dict[str, Any] | str | None = None) -> int:
    with server.client.websocket_connect(url, headers=headers or {}) as ws:
        if isinstance(first, str):
            ws.send_text(first)
        elif first is not None:
            ws.send_json(first)
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(5):
                ws.receive_json()
    return closed.value.code


def test_close_codes(server: Any) -> None:
    created = server.start_interview()
    other = server.start_interview()
    token = created["candidate"]["token"]
    assert _close_code(server, _url(created), first="not json") == CLOSE_BAD_MESSAGE
    assert _close_code(server, _url(created), first={"type": "hello"}) == CLOSE_BAD_MESSAGE
    assert _close_code(server, _url(created), first={"type": "auth", "token": "garbage"}) == CLOSE_UNAUTHENTICATED
    assert _close_code(server, _url(other), first={"type": "auth", "token": token}) == CLOSE_NOT_FOUND
    assert _close_code(server, _url(created), headers=server.key()) == CLOSE_FORBIDDEN
    assert _close_code(server, _url(created, "?after=abc"), first={"type": "auth", "token": token}) \
        == CLOSE_BAD_MESSAGE
    assert _close_code(server, "/v1/interviews/not-an-id/events", first={"type": "auth", "token": token}) \
        == CLOSE_NOT_FOUND
    # another tenant's recruiter cannot open this interview's stream
    assert _close_code(server, _url(created), headers=server.admin("globex")) == CLOSE_NOT_FOUND


def test_no_credential_in_time_closes(server: Any) -> None:
    server.services.settings = server.services.settings.model_copy(update={"ws_auth_timeout_s": 0.2})
    try:
        assert _close_code(server, _url(server.start_interview())) == CLOSE_AUTH_TIMEOUT
    finally:
        server.services.settings = server.services.settings.model_copy(update={"ws_auth_timeout_s": 10.0})


def test_revoked_token_closes_the_socket_at_the_next_heartbeat(server: Any) -> None:
    created = server.start_interview()
    with server.client.websocket_connect(_url(created), headers=server.bearer(created["candidate"]["token"])) as ws:
        assert ws.receive_json() == {"type": "ready"}
        _next(ws, "heartbeat")
        server.client.post(f"/v1/interviews/{created['interview_id']}/candidate-token",
                           json={"revoke_previous": True}, headers=server.key())
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(5):  # the next heartbeat re-checks the token
                ws.receive_json()
    assert closed.value.code == CLOSE_UNAUTHENTICATED


def test_fresh_token_on_the_socket_keeps_it_open(server: Any) -> None:
    created = server.start_interview()
    with server.client.websocket_connect(_url(created), headers=server.bearer(created["candidate"]["token"])) as ws:
        assert ws.receive_json() == {"type": "ready"}
        fresh = server.client.post(f"/v1/interviews/{created['interview_id']}/candidate/token",
                                   headers=server.bearer(created["candidate"]["token"])).json()["token"]
        ws.send_json({"type": "auth", "token": fresh})
        _next(ws, "ready")
        ws.send_json({"type": "ping"})
        _next(ws, "pong")
        other = server.start_interview()["candidate"]["token"]
        ws.send_json({"type": "auth", "token": other})  # a token for another interview is refused
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(5):
                ws.receive_json()
    assert closed.value.code == CLOSE_NOT_FOUND


def test_disallowed_origin_is_refused_at_the_handshake(server: Any) -> None:
    created = server.start_interview()
    with pytest.raises(WebSocketDisconnect) as denied:  # closed before accept: uvicorn answers HTTP 403
        with server.client.websocket_connect(_url(created), headers={"Origin": "https://evil.example"}):
            pass
    assert denied.value.code == CLOSE_FORBIDDEN
    server.client.patch("/v1/tenant", json={"cors_origins": ["https://careers.acme.example"]},
                        headers=server.admin())
    with server.client.websocket_connect(_url(created), headers={"Origin": "https://careers.acme.example"}) as ws:
        ws.send_json({"type": "auth", "token": created["candidate"]["token"]})
        assert ws.receive_json() == {"type": "ready"}


async def _publish_unannounced(db: AsyncEngine, interview_id: str) -> str:
    """Store an event as another process whose notice is lost would: only a read of the table finds it."""

    class Deaf(InProcessBroker):
        async def publish(self, interview_id: str, seq: int) -> None:
            pass

    event = await EventLog(db, Deaf()).publish(tenant_id="acme", interview_id=interview_id,
                                               type="interview.finished", data={})
    return event.id


def test_a_socket_closed_for_a_revoked_token_first_delivers_the_events_stored_before(server: Any) -> None:
    created = server.start_interview()
    with server.client.websocket_connect(_url(created), headers=server.bearer(created["candidate"]["token"])) as ws:
        assert ws.receive_json() == {"type": "ready"}
        _next(ws, "heartbeat")

        finished = server.call(_publish_unannounced, server.services.db, created["interview_id"])
        server.client.post(f"/v1/interviews/{created['interview_id']}/candidate-token",
                           json={"revoke_previous": True}, headers=server.key())
        received: list[str] = []
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(10):
                message = ws.receive_json()
                if message["type"] == "event":
                    received.append(message["event"]["id"])
    assert closed.value.code == CLOSE_UNAUTHENTICATED
    assert received[-1:] == [finished]
