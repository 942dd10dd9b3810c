"""Response models and helpers shared by the API modules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from interview_engine import Session

from ..auth.principals import Principal
from ..auth.tokens import IssuedToken
from ..routing import Call
from ..services import Services

InterviewStateName = Literal["in_progress", "paused", "finished"]
Level = Literal["junior", "mid", "senior"]
Language = Literal["en", "ko"]


class Accommodations(BaseModel):
    """Adjustments for one candidate: extra time on every question, or no time limit at all."""

    model_config = ConfigDict(extra="forbid")

    extra_time_s: Annotated[int, Field(ge=0, le=7200)] = 0
    no_time_limit: bool = False


class CandidateAccess(BaseModel):
    """What the candidate's browser needs: a short-lived token and the link that carries it."""

    token: str = Field(description="A candidate token (JWT) for this interview only; at most 15 minutes.")
    expires_at: datetime
    link: str = Field(description="The candidate page with the token in its fragment (never sent to servers).")


def candidate_access(services: Services, interview_id: str, issued: IssuedToken) -> CandidateAccess:
    link = f"{services.settings.public_url}/candidate/{interview_id}#token={issued.token}"
    return CandidateAccess(token=issued.token, expires_at=issued.expires_at, link=link)


async def session_for(call: Call[Any, Any], interview_id: str) -> Session:
    """The caller's tenant's interview (InterviewNotFound, answered 404, for any other)."""
    return await call.services.engine.resume(interview_id, tenant=call.tenant_id)


async def audit(call: Call[Any, Any], action: str, target: tuple[str, str] | None = None,
                **details: object) -> None:
    """Record ``action`` by the caller in the audit log, with their address and user agent."""
    principal: Principal = call.principal
    await call.services.audit.record(tenant_id=principal.tenant_id, actor=principal.actor, action=action,
                                     target=target, ip=call.client_ip, user_agent=call.user_agent,
                                     details=dict(details))
