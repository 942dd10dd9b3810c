"""Credentials: candidate tokens (algorithm allow-list, audience, issuer, expiry, not-before, type, tamper),
API keys (hashed, revocable, scoped) and recruiter sessions (argon2 passwords, refresh rotation with reuse
detection, logout, disabled accounts, invitations)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa

from interview_engine_server import tables
from interview_engine_server.auth.tokens import TokenService, _derive

SECRET = "test-secret-for-the-reference-server-0123456789"


def _tokens(**overrides: Any) -> TokenService:
    values: dict[str, Any] = {"issuer": "interview-engine", "candidate_ttl_s": 900, "access_ttl_s": 900}
    return TokenService(SECRET, **(values | overrides))


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {"iss": "interview-engine", "aud": "interview-engine:candidate", "sub": "a" * 32, "typ": "candidate",
              "tid": "acme", "ver": 1, "iat": now, "nbf": now, "exp": now + timedelta(minutes=5), "jti": "j1"}
    return {k: v for k, v in (claims | overrides).items() if v is not None}


def _sign(claims: dict[str, Any], *, key: bytes | str = _derive(SECRET, "candidate"), algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, default=str).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims | {'exp': int(time.time()) + 300})}."


def test_candidate_token_round_trip_and_lifetime() -> None:
    tokens = _tokens()
    issued = tokens.issue_candidate(tenant_id="acme", interview_id="a" * 32, version=3)
    claims = tokens.verify_candidate(issued.token)
    assert (claims.tenant_id, claims.interview_id, claims.version, claims.token_type) == ("acme", "a" * 32, 3,
                                                                                          "candidate")
    assert issued.expires_at - datetime.now(UTC) <= timedelta(minutes=15)
    raw = jwt.decode(issued.token, options={"verify_signature": False})
    assert set(raw) >= {"iss", "aud", "sub", "typ", "iat", "nbf", "exp", "jti"}


@pytest.mark.parametrize("forged", [
    pytest.param(lambda: _unsigned(_claims()), id="alg-none"),
    pytest.param(lambda: _sign(_claims(), algorithm="HS512"), id="other-algorithm",
                 marks=pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")),
    pytest.param(lambda: _sign(_claims(), key=SECRET), id="raw-secret-not-the-derived-key"),
    pytest.param(lambda: _sign(_claims(), key=_derive(SECRET, "access")), id="access-key"),
    pytest.param(lambda: _sign(_claims(aud="interview-engine:recruiter")), id="wrong-audience"),
    pytest.param(lambda: _sign(_claims(iss="someone-else")), id="wrong-issuer"),
    pytest.param(lambda: _sign(_claims(exp=datetime.now(UTC) - timedelta(minutes=1))), id="expired"),
    pytest.param(lambda: _sign(_claims(nbf=datetime.now(UTC) + timedelta(minutes=5))), id="not-yet-valid"),
    pytest.param(lambda: _sign(_claims(typ="access")), id="wrong-type"),
    pytest.param(lambda: _sign(_claims(jti=None)), id="no-jti"),
    pytest.param(lambda: _sign(_claims(exp=None)), id="no-expiry"),
    pytest.param(lambda: _sign(_claims(ver="1")), id="version-not-int"),
    pytest.param(lambda: _sign(_claims())[:-3] + "AAA", id="tampered-signature"),
])
def test_forged_candidate_tokens_are_refused(forged: Any) -> None:
    from interview_engine_server.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        _tokens().verify_candidate(forged())


def test_access_token_is_not_a_candidate_token() -> None:
    from interview_engine_server.errors import Unauthenticated

    tokens = _tokens()
    access = tokens.issue_access(tenant_id="acme", account_id="b" * 32, session_id="c" * 16)
    with pytest.raises(Unauthenticated):
        tokens.verify_candidate(access.token)
    assert tokens.kind_of(access.token) == "access"


def test_a_token_is_verified_once_then_only_its_expiry_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from interview_engine_server.auth import tokens as module
    from interview_engine_server.errors import Unauthenticated

    tokens = _tokens()
    issued = tokens.issue_candidate(tenant_id="acme", interview_id="a" * 32, version=1)
    assert tokens.verify_candidate(issued.token).version == 1
    decodes: list[str] = []
    real_decode = module.jwt.decode

    def decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decodes.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(module.jwt, "decode", decode)
    assert tokens.kind_of(issued.token) == "candidate"
    assert tokens.verify_candidate(issued.token).version == 1
    assert decodes == []  # from the cache: no signature check, no parsing
    with pytest.raises(Unauthenticated):  # the cache holds a candidate token, not an access token
        tokens.verify_access(issued.token)
    later = time.time() + 16 * 60
    monkeypatch.setattr(module.time, "time", lambda: later)
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify_candidate(issued.token)


# over HTTP


def test_api_key_authenticates_and_is_stored_hashed(server: Any) -> None:
    key = server.tenants["acme"].api_key
    assert server.client.get("/v1/interviews", headers=server.key()).status_code != 401
    rows = server.call(_rows, server, tables.api_keys)
    assert rows and all(key not in json.dumps(r, default=str) and key.split("_")[2] not in json.dumps(
        r, default=str) for r in rows)


async def _rows(server: Any, table: sa.Table) -> list[dict[str, Any]]:
    async with server.services.db.connect() as conn:
        return [dict(r) for r in (await conn.execute(sa.select(table))).mappings().all()]


@pytest.mark.parametrize("header", [
    None, "Bearer", "Basic abc", "Bearer iek_0000000000000000_" + "A" * 43, "Bearer iek_garbage",
    "Bearer not.a.jwt", "Bearer " + "x" * 5000,
])
def test_bad_credentials_are_401_with_one_error_shape(server: Any, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = server.client.get("/v1/interviews", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert set(response.json()) == {"error"} and response.json()["error"]["code"] == "unauthenticated"


def test_revoked_api_key_stops_working_at_once(server: Any) -> None:
    created = server.client.post("/v1/api-keys", json={"name": "ci", "scopes": ["interviews:read"]},
                                 headers=server.admin())
    assert created.status_code == 201
    key = server.bearer(created.json()["key"])
    assert server.client.get("/v1/interviews", headers=key).status_code != 401
    listed = server.client.get("/v1/api-keys", headers=server.admin()).json()["items"]
    assert all("key" not in item for item in listed)
    assert server.client.delete(f"/v1/api-keys/{created.json()['id']}", headers=server.admin()).status_code == 204
    response = server.client.get("/v1/interviews", headers=key)
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]


def test_api_key_scopes_are_enforced(server: Any) -> None:
    created = server.client.post("/v1/api-keys", json={"name": "reader", "scopes": ["interviews:read"]},
                                 headers=server.admin()).json()
    key = server.bearer(created["key"])
    response = server.client.post("/v1/interviews", json={"spec": server.spec}, headers=key)
    assert response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"


def test_another_tenants_admin_cannot_revoke_a_key(server: Any) -> None:
    created = server.client.post("/v1/api-keys", json={"name": "x", "scopes": ["interviews:read"]},
                                 headers=server.admin()).json()
    response = server.client.delete(f"/v1/api-keys/{created['id']}", headers=server.admin("globex"))
    assert response.status_code == 404
    assert server.client.get("/v1/interviews", headers=server.bearer(created["key"])).status_code == 200


def test_login_failures_look_the_same(server: Any) -> None:
    creds = server.tenants["acme"]
    attempts = [
        {"tenant": "acme", "email": creds.admin_email, "password": "wrong password!"},
        {"tenant": "acme", "email": "nobody@acme.example", "password": "wrong password!"},
        {"tenant": "nope", "email": creds.admin_email, "password": creds.admin_password},
        {"tenant": "globex", "email": creds.admin_email, "password": creds.admin_password},
    ]
    bodies = []
    for attempt in attempts:
        response = server.client.post("/v1/auth/login", json=attempt)
        assert response.status_code == 401
        bodies.append(response.json())
    assert all(b == bodies[0] for b in bodies)


def test_passwords_are_argon2id_hashes(server: Any) -> None:
    rows = server.call(_rows, server, tables.accounts)
    assert rows and all(r["password_hash"].startswith("$argon2id$") for r in rows)
    assert all(server.tenants[t].admin_password not in json.dumps(rows, default=str) for t in server.tenants)


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(server: Any) -> None:
    creds = server.tenants["acme"]
    login = server.client.post("/v1/auth/login", json={"tenant": "acme", "email": creds.admin_email,
                                                        "password": creds.admin_password}).json()
    first = login["refresh_token"]
    refreshed = server.client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first
    assert server.client.get("/v1/auth/me", headers=server.bearer(second["access_token"])).status_code == 200
    replay = server.client.post("/v1/auth/refresh", json={"refresh_token": first})
    assert replay.status_code == 401
    # the replay revoked the session: the newer tokens stop working too
    assert server.client.get("/v1/auth/me", headers=server.bearer(second["access_token"])).status_code == 401
    assert server.client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401


def test_logout_ends_the_session(server: Any) -> None:
    creds = server.tenants["acme"]
    token = server.login("acme", creds.admin_email, creds.admin_password)
    assert server.client.post("/v1/auth/logout", headers=server.bearer(token)).status_code == 204
    assert server.client.get("/v1/auth/me", headers=server.bearer(token)).status_code == 401


def test_invitation_is_single_use_and_sets_the_role(server: Any) -> None:
    invite = server.client.post("/v1/accounts/invites", json={"email": "New.Person@Acme.example",
                                                              "role": "reviewer"}, headers=server.admin()).json()
    body = {"invite": invite["invite"], "name": "New Person", "password": "a long enough password"}
    accepted = server.client.post("/v1/accounts/accept-invite", json=body)
    assert accepted.status_code == 201
    assert accepted.json()["role"] == "reviewer" and accepted.json()["email"] == "new.person@acme.example"
    assert server.client.post("/v1/accounts/accept-invite", json=body).status_code == 401
    short = server.client.post("/v1/accounts/accept-invite", json=body | {"password": "short"})
    assert short.status_code == 422


def test_disabling_an_account_ends_its_sessions_and_the_last_admin_stays(server: Any) -> None:
    headers = server.person("recruiter")
    accounts = server.client.get("/v1/accounts", headers=server.admin()).json()["items"]
    recruiter = next(a for a in accounts if a["role"] == "recruiter")
    admin = next(a for a in accounts if a["role"] == "admin")
    disabled = server.client.patch(f"/v1/accounts/{recruiter['id']}", json={"disabled": True},
                                   headers=server.admin())
    assert disabled.status_code == 200 and disabled.json()["disabled"]
    assert server.client.get("/v1/auth/me", headers=headers).status_code == 401
    server.client.patch(f"/v1/accounts/{recruiter['id']}", json={"disabled": False}, headers=server.admin())
    last = server.client.patch(f"/v1/accounts/{admin['id']}", json={"role": "reviewer"}, headers=server.admin())
    assert last.status_code == 409 and last.json()["error"]["code"] == "last_admin"
    server._tokens.pop(("acme", "recruiter"), None)


def test_role_change_applies_on_the_next_request(server: Any) -> None:
    invite = server.client.post("/v1/accounts/invites", json={"email": "promote@acme.example", "role": "reviewer"},
                                headers=server.admin()).json()
    account = server.client.post("/v1/accounts/accept-invite", json={
        "invite": invite["invite"], "name": "P", "password": "promote password 1"}).json()
    token = server.bearer(server.login("acme", "promote@acme.example", "promote password 1"))
    assert server.client.get("/v1/accounts", headers=token).status_code == 403
    server.client.patch(f"/v1/accounts/{account['id']}", json={"role": "admin"}, headers=server.admin())
    assert server.client.get("/v1/accounts", headers=token).status_code == 200
