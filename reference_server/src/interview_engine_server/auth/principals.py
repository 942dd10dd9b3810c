"""The three kinds of caller, what a route admits, and the check between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from ..errors import Forbidden
from ..records import InterviewRecord

Role = Literal["admin", "recruiter", "reviewer"]
ROLES: tuple[Role, ...] = get_args(Role)
Scope = Literal["interviews:write", "interviews:read", "reports:read", "webhooks:manage"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
CandidateTokenType = Literal["candidate", "candidate_summary"]
"""``candidate`` sits the interview; ``candidate_summary`` (issued at finish) may only read the outcome."""


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """An HR back end calling with an API key of its tenant."""

    tenant_id: str
    key_id: str
    scopes: frozenset[str]
    kind: Literal["api_key"] = "api_key"

    @property
    def actor(self) -> tuple[str, str]:
        return ("api_key", self.key_id)


@dataclass(frozen=True)
class RecruiterPrincipal:
    """A person signed in to their tenant with a role; ``session_id`` is the revocable session."""

    tenant_id: str
    account_id: str
    session_id: str
    role: Role
    expires_at: datetime
    kind: Literal["recruiter"] = "recruiter"

    @property
    def actor(self) -> tuple[str, str]:
        return ("account", self.account_id)


@dataclass(frozen=True)
class CandidatePrincipal:
    """A candidate holding a token for exactly one interview."""

    tenant_id: str
    interview_id: str
    token_type: CandidateTokenType
    expires_at: datetime
    record: InterviewRecord | None = field(default=None, compare=False, repr=False)
    """The interview's server record as read to check the token (saves a second read)."""
    kind: Literal["candidate"] = "candidate"

    @property
    def actor(self) -> tuple[str, str]:
        return ("candidate", self.interview_id)


Principal = ApiKeyPrincipal | RecruiterPrincipal | CandidatePrincipal


@dataclass(frozen=True)
class Access:
    """Who a route admits: API keys holding ``scope``, recruiters with one of ``roles``, candidate tokens
    of the listed types, or anyone (``public``)."""

    scope: Scope | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    candidate: frozenset[CandidateTokenType] = field(default_factory=frozenset)
    public: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        """The credential kinds this route accepts, for the OpenAPI security list."""
        kinds = []
        if self.scope is not None:
            kinds.append("api_key")
        if self.roles:
            kinds.append("recruiter")
        if self.candidate:
            kinds.append("candidate")
        return tuple(kinds)

    def check(self, principal: Principal) -> None:
        """Raise Forbidden unless ``principal`` may call the route."""
        if isinstance(principal, ApiKeyPrincipal):
            if self.scope is None:
                raise Forbidden("API keys cannot use this route", code="credential_not_accepted")
            if self.scope not in principal.scopes:
                raise Forbidden(f"this API key lacks the scope {self.scope!r}", code="insufficient_scope")
        elif isinstance(principal, RecruiterPrincipal):
            if not self.roles:
                raise Forbidden("recruiter sessions cannot use this route", code="credential_not_accepted")
            if principal.role not in self.roles:
                raise Forbidden(f"the role {principal.role!r} may not do this", code="role_not_allowed")
        elif principal.token_type not in self.candidate:
            raise Forbidden("candidate tokens cannot use this route", code="credential_not_accepted")


PUBLIC = Access(public=True)
ALL_ROLES: frozenset[Role] = frozenset(ROLES)
ADMIN: frozenset[Role] = frozenset({"admin"})
STAFF: frozenset[Role] = frozenset({"admin", "recruiter"})
"""People who run interviews; reviewers only read and review."""
CANDIDATE: frozenset[CandidateTokenType] = frozenset({"candidate"})
CANDIDATE_ANY: frozenset[CandidateTokenType] = frozenset({"candidate", "candidate_summary"})
