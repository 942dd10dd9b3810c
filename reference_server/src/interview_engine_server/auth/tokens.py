"""Signed tokens (PyJWT, HS256 only): candidate tokens for one interview and recruiter access tokens.

Each kind has its own audience, ``typ`` claim and signing key (derived from the server secret with
HMAC-SHA256), so one kind can never be passed off as the other. Every token carries ``iss``, ``aud``,
``sub``, ``typ``, ``iat``, ``nbf``, ``exp`` and ``jti``; all are required when verifying.

A token sent on every request is verified once: its claims are kept (keyed by the exact token string), and
later uses only check its expiry again. Revocation is checked against the store on every use regardless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

from ..errors import Unauthenticated
from .principals import CandidateTokenType

ALGORITHM = "HS256"
ALGORITHMS = [ALGORITHM]
"""The only accepted algorithm: ``none``, RS*/ES* (key confusion) and every other are refused."""
LEEWAY_S = 5
REQUIRED_CLAIMS = ["iss", "aud", "sub", "typ", "iat", "nbf", "exp", "jti"]
TokenKind = Literal["candidate", "access"]
VERIFIED_CACHE_SIZE = 20_000
"""Verified tokens kept per process (a few hundred bytes each); the oldest goes first."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class CandidateClaims:
    tenant_id: str
    interview_id: str
    token_type: CandidateTokenType
    version: int
    expires_at: datetime


@dataclass(frozen=True)
class AccessClaims:
    tenant_id: str
    account_id: str
    session_id: str
    expires_at: datetime


class TokenService:
    """Issues and verifies the server's JWTs with keys derived from one secret."""

    def __init__(self, secret: str, *, issuer: str, candidate_ttl_s: int, access_ttl_s: int) -> None:
        self._keys = {kind: _derive(secret, kind) for kind in ("candidate", "access")}
        self.issuer = issuer
        self.candidate_ttl = timedelta(seconds=candidate_ttl_s)
        self.access_ttl = timedelta(seconds=access_ttl_s)
        self._verified: dict[str, tuple[TokenKind, dict[str, Any]]] = {}

    def audience(self, kind: TokenKind) -> str:
        return f"{self.issuer}:{'candidate' if kind == 'candidate' else 'recruiter'}"

    def kind_of(self, token: str) -> TokenKind:
        """Which verification applies, from the unverified ``typ`` claim (the full check follows)."""
        verified = self._verified.get(token)
        if verified is not None:
            return verified[0]
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthenticated("the token is malformed") from None
        return "access" if claims.get("typ") == "access" else "candidate"

    # candidate tokens

    def issue_candidate(
        self, *, tenant_id: str, interview_id: str, version: int, token_type: CandidateTokenType = "candidate"
    ) -> IssuedToken:
        return self._issue("candidate", interview_id, self.candidate_ttl,
                           {"typ": token_type, "tid": tenant_id, "ver": version})

    def verify_candidate(self, token: str) -> CandidateClaims:
        claims = self._verify("candidate", token)
        token_type, tenant, version = claims.get("typ"), claims.get("tid"), claims.get("ver")
        if token_type not in ("candidate", "candidate_summary") or not isinstance(tenant, str) \
                or not isinstance(version, int):
            raise Unauthenticated("the token is not a candidate token")
        return CandidateClaims(tenant, str(claims["sub"]), token_type, version, _expiry(claims))

    # recruiter access tokens

    def issue_access(self, *, tenant_id: str, account_id: str, session_id: str) -> IssuedToken:
        return self._issue("access", account_id, self.access_ttl, {"typ": "access", "tid": tenant_id,
                                                                   "sid": session_id})

    def verify_access(self, token: str) -> AccessClaims:
        claims = self._verify("access", token)
        tenant, session = claims.get("tid"), claims.get("sid")
        if claims.get("typ") != "access" or not isinstance(tenant, str) or not isinstance(session, str):
            raise Unauthenticated("the token is not a recruiter access token")
        return AccessClaims(tenant, str(claims["sub"]), session, _expiry(claims))

    # shared

    def _issue(self, kind: TokenKind, subject: str, ttl: timedelta, extra: dict[str, Any]) -> IssuedToken:
        now = datetime.now(UTC).replace(microsecond=0)
        expires = now + ttl
        claims = {"iss": self.issuer, "aud": self.audience(kind), "sub": subject, "iat": now, "nbf": now,
                  "exp": expires, "jti": secrets.token_urlsafe(12), **extra}
        return IssuedToken(jwt.encode(claims, self._keys[kind], algorithm=ALGORITHM), expires)

    def _verify(self, kind: TokenKind, token: str) -> dict[str, Any]:
        verified = self._verified.get(token)
        if verified is not None and verified[0] == kind:
            if verified[1]["exp"] + LEEWAY_S > time.time():
                return verified[1]
            del self._verified[token]
            raise Unauthenticated("the token has expired")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._keys[kind], algorithms=ALGORITHMS, audience=self.audience(kind), issuer=self.issuer,
                leeway=LEEWAY_S, options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("the token is invalid") from None
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (kind, claims)
        return claims


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"interview-engine-server/{purpose}".encode(), hashlib.sha256).digest()


def _expiry(claims: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(claims["exp"]), UTC)
