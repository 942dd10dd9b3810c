"""Security over the whole route table: who may call each route (every role, scope and token type),
tenant isolation on every route, a candidate token confined to its interview, rate limits with
Retry-After, body caps (413, chunked too), CORS per tenant, secure headers, inert markup, and no 5xx or
internal detail on garbage."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from interview_engine_server.api import ENDPOINTS
from interview_engine_server.routing import Endpoint

ACCESS_DENIED = {"role_not_allowed", "credential_not_accepted", "insufficient_scope"}
PRINCIPALS = ("api_key", "admin", "recruiter", "reviewer", "candidate", "candidate_summary")
PROTECTED = [e for e in ENDPOINTS if not e.access.public]


def _id(endpoint: Endpoint) -> str:
    return endpoint.operation_id


def _allowed(endpoint: Endpoint, principal: str) -> bool:
    access = endpoint.access
    if principal == "api_key":
        return access.scope is not None
    if principal in ("admin", "recruiter", "reviewer"):
        return principal in access.roles
    return principal in access.candidate


class Resources:
    """Fresh path values per call (some routes delete or revoke what they are given)."""

    def __init__(self, server: Any, tenant: str) -> None:
        self.server, self.tenant = server, tenant

    def path(self, endpoint: Endpoint, interview: dict[str, Any] | None = None) -> str:
        values: dict[str, str] = {}
        for name in endpoint.path_parameters:
            if name == "interview_id":
                values[name] = (interview or self.server.start_interview(self.tenant))["interview_id"]
            elif name == "key_id":
                values[name] = self.server.client.post("/v1/api-keys", json={"name": "k", "scopes": [
                    "interviews:read"]}, headers=self.server.admin(self.tenant)).json()["id"]
            elif name == "endpoint_id":
                values[name] = self.server.client.post("/v1/webhooks/endpoints", json={
                    "url": "https://hooks.example.com/interviews"}, headers=self.server.admin(self.tenant)).json()["id"]
            elif name == "peer_id":
                values[name] = str(uuid.uuid4())  # no such live peer: the route still checks access first
            elif name == "account_id":
                values[name] = self.server.client.get("/v1/auth/me", headers=self.server.admin(
                    self.tenant)).json()["account"]["id"]
            else:
                raise AssertionError(f"no test value for the path parameter {name}")
        return endpoint.path.format(**values)


def _headers(server: Any, principal: str, interview: dict[str, Any]) -> dict[str, str]:
    if principal == "api_key":
        return server.key()
    if principal in ("admin", "recruiter", "reviewer"):
        return server.person(principal, fresh=True)  # fresh: a logout must not end a shared session
    record = server.call(server.services.records.get, interview["interview_id"], "acme")
    token = server.services.tokens.issue_candidate(tenant_id="acme", interview_id=interview["interview_id"],
                                                   version=record.token_version, token_type=principal)
    return server.bearer(token.token)


VALID_BODIES: dict[str, dict[str, Any]] = {
    "create_interview": {"spec": {"role": "Isolation"}},
    "override_score": {"score": 50, "reason": "a reason"},
    "give_consent": {"accept": True, "notice_sha256": "0" * 64},
    "save_draft": {"question_id": "0" * 32, "text": "draft"},
    "submit_answer": {"question_id": "0" * 32, "text": "answer"},
    "create_api_key": {"name": "k", "scopes": ["interviews:read"]},
    "invite_account": {"email": "someone@acme.example", "role": "reviewer"},
}
"""Bodies that pass validation, so a request reaches its handler (others accept ``{}``)."""


def _call(server: Any, endpoint: Endpoint, path: str, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if endpoint.body is not None:
        kwargs["json"] = VALID_BODIES.get(endpoint.operation_id, {})
    return server.client.request(endpoint.method, path, **kwargs)


@pytest.mark.parametrize("endpoint", PROTECTED, ids=_id)
def test_every_route_admits_exactly_its_roles_scopes_and_tokens(server: Any, endpoint: Endpoint) -> None:
    resources = Resources(server, "acme")
    for principal in PRINCIPALS:
        interview = server.start_interview()
        response = _call(server, endpoint, resources.path(endpoint, interview),
                         _headers(server, principal, interview))
        denied = response.status_code == 403 and response.json()["error"]["code"] in ACCESS_DENIED
        assert denied != _allowed(endpoint, principal), (principal, response.status_code, response.text)
        assert response.status_code not in (401, 500), (principal, response.text)


@pytest.mark.parametrize("scope", ["interviews:write", "interviews:read", "reports:read", "webhooks:manage"])
def test_api_keys_reach_only_routes_of_their_scope(server: Any, scope: str) -> None:
    key = server.client.post("/v1/api-keys", json={"name": scope, "scopes": [scope]},
                             headers=server.admin()).json()["key"]
    resources = Resources(server, "acme")
    for endpoint in PROTECTED:
        if endpoint.access.scope is None:
            continue
        response = _call(server, endpoint, resources.path(endpoint), server.bearer(key))
        denied = response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"
        assert denied == (endpoint.access.scope != scope), (endpoint.operation_id, response.text)


def _principal_for(endpoint: Endpoint) -> str:
    if endpoint.access.scope is not None:
        return "api_key"
    if endpoint.access.roles:
        return "admin" if "admin" in endpoint.access.roles else sorted(endpoint.access.roles)[0]
    return "candidate"


@pytest.mark.parametrize("endpoint", PROTECTED, ids=_id)
def test_tenant_isolation_on_every_route(server: Any, endpoint: Endpoint) -> None:
    """Acme's credentials on globex's resources find nothing; on routes without ids, nothing of globex's
    appears."""
    globex_interview = server.start_interview("globex")
    globex_ids = {globex_interview["interview_id"], server.tenants["globex"].api_key.split("_")[1],
                  *(a["id"] for a in server.client.get("/v1/accounts", headers=server.admin("globex")).json()[
                      "items"])}
    acme_interview = server.start_interview()
    headers = _headers(server, _principal_for(endpoint), acme_interview)
    if endpoint.path_parameters:
        path = Resources(server, "globex").path(endpoint, globex_interview)
        response = _call(server, endpoint, path, headers)
        assert response.status_code == 404, response.text
    else:
        response = _call(server, endpoint, endpoint.path, headers)
        assert response.status_code < 500
        assert not any(i in response.text for i in globex_ids), response.text
    # globex's interview is untouched
    still = server.client.get(f"/v1/interviews/{globex_interview['interview_id']}", headers=server.key("globex"))
    assert still.status_code == 200 and still.json()["state"] == "in_progress"


def test_a_candidate_token_touches_only_its_interview(server: Any) -> None:
    mine, other = server.start_interview(), server.start_interview()
    token = server.bearer(mine["candidate"]["token"])
    for endpoint in PROTECTED:
        if "candidate" not in endpoint.access.candidate:
            continue
        path = endpoint.path.format(interview_id=other["interview_id"], peer_id=str(uuid.uuid4()))
        response = _call(server, endpoint, path, token)
        assert response.status_code == 404, (endpoint.operation_id, response.text)




def _retry_after(response: Any) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "rate_limited"
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 60
    return seconds


def test_rate_limits_per_key_token_address_and_login(make_server: Any) -> None:
    with make_server(rate_limit_api_key="5/minute", rate_limit_candidate="4/minute", rate_limit_ip="60/minute",
                     rate_limit_login="3/minute") as limited:
        client = limited.client
        created = limited.start_interview()  # one API key request
        for _ in range(4):
            assert client.get("/v1/interviews", headers=limited.key()).status_code == 200
        _retry_after(client.get("/v1/interviews", headers=limited.key()))
        assert client.get("/v1/interviews", headers=limited.key("globex")).status_code == 200  # per key

        candidate = limited.bearer(created["candidate"]["token"])
        url = f"/v1/interviews/{created['interview_id']}/candidate"
        for _ in range(4):
            assert client.get(url, headers=candidate).status_code == 200
        _retry_after(client.get(url, headers=candidate))

        body = {"tenant": "acme", "email": "admin@acme.example", "password": "wrong password"}
        for _ in range(3):
            assert client.post("/v1/auth/login", json=body).status_code == 401
        _retry_after(client.post("/v1/auth/login", json=body))

        statuses = [client.get("/v1/health").status_code for _ in range(60)]
        assert 429 in statuses  # per address, for every route, credentials or not
        _retry_after(client.get("/v1/health"))


def test_the_in_process_limiter_slides_its_window_and_forgets_idle_keys() -> None:
    from limits import parse

    from interview_engine_server.ratelimits import LocalSlidingWindow

    now = [1000 * 60.0]  # the start of a minute
    limiter = LocalSlidingWindow(clock=lambda: now[0], sweep_s=60)
    three = parse("3/minute")
    assert [limiter.hit(three, "a") for _ in range(3)] == [None, None, None]
    assert limiter.hit(three, "a") == pytest.approx(60)  # at most a window (then this one weighs 3 of 3)
    assert limiter.hit(three, "b") is None  # per key
    now[0] += 60
    assert limiter.hit(three, "a") == pytest.approx(20)  # the previous minute still weighs 3
    now[0] += 20
    assert limiter.hit(three, "a") is None  # it weighs 2 now: one more fits
    assert limiter.hit(three, "a") is not None
    assert len(limiter) == 2
    now[0] += 180
    assert limiter.hit(three, "c") is None
    assert len(limiter) == 1  # a and b were idle for two windows


def test_rate_limits_are_shared_through_redis(make_server: Any, redis_url: str) -> None:
    """Two server processes' limiters count together when they share a Redis storage."""
    with make_server(rate_limit_storage=redis_url, rate_limit_ip="4/minute") as first, \
            make_server(rate_limit_storage=redis_url, rate_limit_ip="4/minute") as second:
        statuses = [c.get("/v1/health").status_code for c in (first.client, second.client) * 3]
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]


def test_oversized_bodies_are_413_with_or_without_content_length(server: Any) -> None:
    limit = server.services.settings.max_body_bytes
    url = "/v1/interviews"
    declared = server.client.post(url, content=b"x" * (limit + 1), headers={
        **server.key(), "content-type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Any:
        for _ in range(limit // 4096 + 2):
            yield b" " * 4096

    chunked = server.client.post(url, content=chunks(), headers={**server.key(), "content-type": "application/json"})
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413 and chunked.json()["error"]["code"] == "payload_too_large"
    lying = server.client.post(url, content=b"{}", headers={**server.key(), "content-type": "application/json",
                                                             "content-length": "not-a-number"})
    assert lying.status_code in (400, 413)


def test_cors_follows_each_tenants_allow_list(server: Any) -> None:
    client = server.client
    client.patch("/v1/tenant", json={"cors_origins": ["https://jobs.acme.example"]}, headers=server.admin())
    client.patch("/v1/tenant", json={"cors_origins": ["https://careers.globex.example"]},
                 headers=server.admin("globex"))
    created = server.start_interview()
    url = f"/v1/interviews/{created['interview_id']}/candidate"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = client.options(url, headers={"Origin": "https://jobs.acme.example", **preflight})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "https://jobs.acme.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in allowed.headers
    for origin in ("https://careers.globex.example", "https://evil.example", "null"):
        refused = client.options(url, headers={"Origin": origin, **preflight})
        assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
        actual = client.get(url, headers={"Origin": origin, **server.bearer(created["candidate"]["token"])})
        assert actual.status_code == 403 and actual.json()["error"]["code"] == "origin_not_allowed"
    real = client.get(url, headers={"Origin": "https://jobs.acme.example", **server.bearer(
        created["candidate"]["token"])})
    assert real.status_code == 200 and real.headers["access-control-allow-origin"] == "https://jobs.acme.example"
    assert "Origin" in real.headers["vary"]
    # HR routes are not for browsers of other origins at all
    hr = client.get("/v1/interviews", headers={"Origin": "https://jobs.acme.example", **server.key()})
    assert hr.status_code == 403
    same_origin = client.get("/v1/interviews", headers={"Origin": "http://testserver", **server.key()})
    assert same_origin.status_code == 200
    bad = client.patch("/v1/tenant", json={"cors_origins": ["https://x.example/path"]}, headers=server.admin())
    assert bad.status_code == 422


def test_secure_headers_on_every_kind_of_response(server: Any) -> None:
    responses = [server.client.get("/v1/health"), server.client.get("/v1/interviews"),
                 server.client.get("/no/such/route"), server.client.get("/v1/interviews", headers=server.key()),
                 server.client.delete("/v1/health")]
    for response in responses:
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["content-type"].startswith("application/json")
        assert set(response.json()) <= {"error", "status", "items", "next_cursor"}
    assert responses[2].json()["error"]["code"] == "not_found"
    assert responses[4].status_code == 405 and responses[4].json()["error"]["code"] == "method_not_allowed"
    docs = server.client.get("/docs")
    assert docs.status_code == 200 and "script" not in docs.headers["content-security-policy"]
    assert "<script" not in docs.text and "//cdn" not in docs.text


XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">"\'&'


def test_markup_is_stored_and_returned_as_inert_json_text(server: Any) -> None:
    client = server.client
    created = server.start_interview(spec={"role": XSS, "custom_questions": [XSS], "question_count": 1},
                                     external_ref=XSS)
    client.patch("/v1/tenant", json={"consent_notice": XSS}, headers=server.admin())
    candidate = server.consented(created)
    base = f"/v1/interviews/{created['interview_id']}/candidate"
    state = client.get(base, headers=candidate)
    assert state.headers["content-type"] == "application/json"
    assert state.json()["role"] == XSS and state.json()["consent_notice"]["text"] == XSS
    question = state.json()["current_question"]
    client.put(f"{base}/draft", headers=candidate, json={"question_id": question["id"], "text": XSS})
    assert client.get(base, headers=candidate).json()["draft"]["text"] == XSS
    client.post(f"{base}/answers", headers=candidate, json={"question_id": question["id"], "text": XSS})
    client.post(f"{base}/finish", headers=candidate)
    view = client.get(f"/v1/interviews/{created['interview_id']}", headers=server.key())
    assert view.json()["external_ref"] == XSS and view.json()["role"] == XSS
    assert "text/html" not in view.headers["content-type"]


GARBAGE_BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"{"),
    ("application/json", b"[]"),
    ("application/json", b"null"),
    ("application/json", b'"\\ud800"'),
    ("application/json", b'{"text": "\\u0000", "question_id": "\\ud800"}'),
    ("application/json", b"\xff\xfe\x00"),
    ("application/json", b"[" * 5000 + b"]" * 5000),
    ("application/json", b'{"score": 1e999999, "reason": "x"}'),
    ("application/json", b'{"score": ' + b"9" * 5000 + b', "reason": "x"}'),
    ("application/json", b'{"spec": {"role": "x", "question_count": 99999999999999999999999}}'),
    ("text/plain", b"hello"),
    ("application/x-www-form-urlencoded", b"a=b"),
]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.body is not None], ids=_id)
def test_no_5xx_on_garbage(server: Any, endpoint: Endpoint) -> None:
    created = server.start_interview()
    principal = _principal_for(endpoint) if not endpoint.access.public else "api_key"
    headers = _headers(server, principal, created)
    path = Resources(server, "acme").path(endpoint, created)
    for content_type, body in GARBAGE_BODIES:
        response = server.client.request(endpoint.method, path, content=body,
                                          headers={**headers, "content-type": content_type})
        assert response.status_code < 500, (content_type, body[:40], response.text)
        assert set(response.json()) == {"error"}
    for bad_path in ("%00", "..%2F..%2Fetc", "a" * 300, "\u00e9"):
        if endpoint.path_parameters:
            response = server.client.request(endpoint.method, endpoint.path.replace(
                "{" + endpoint.path_parameters[0] + "}", bad_path), headers=headers, json={})
            assert response.status_code in (404, 405), response.text


def test_an_internal_error_reveals_nothing(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SECRET internal detail 0123456789abcdef0123456789abcdef at /srv/app.py line 1")

    monkeypatch.setattr(server.services.audit, "page", broken)
    response = server.client.get("/v1/audit", headers=server.admin())
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "an internal error occurred"}}
    assert "SECRET" not in response.text and "Traceback" not in response.text


def test_error_bodies_carry_no_internal_ids(server: Any) -> None:
    created = server.start_interview()
    candidate = server.consented(created)
    base = f"/v1/interviews/{created['interview_id']}/candidate"
    wrong = server.client.post(f"{base}/answers", headers=candidate, json={"question_id": "f" * 32, "text": "x"})
    assert wrong.status_code == 409 and "f" * 32 not in wrong.text
    question = server.client.get(f"{base}/question", headers=candidate).json()
    server.client.post(f"{base}/answers", headers=candidate, json={"question_id": question["id"], "text": "x"})
    again = server.client.post(f"{base}/answers", headers=candidate, json={"question_id": question["id"],
                                                                           "text": "x"})
    assert again.status_code == 409 and question["id"] not in again.text
