"""HR back-end routes for interviews: create (with time limit and accommodations), list and filter, read,
finish, delete (everything that belongs to it), and issue candidate tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from interview_engine import InterviewNotFound, InterviewSpec, ReportNotReady, Session

from ..auth.principals import ALL_ROLES, STAFF, Access
from ..consents import Consent
from ..errors import Conflict
from ..fields import QueryDateTime, SafeText
from ..routing import Call, Endpoint, NoQuery
from .common import (
    Accommodations,
    CandidateAccess,
    InterviewStateName,
    Language,
    Level,
    audit,
    candidate_access,
    session_for,
)

TAG = "Interviews"


class InterviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: InterviewSpec
    time_limit_s: Annotated[int, Field(ge=30, le=7200)] | None = Field(
        None, description="Seconds per question; omit for no limit.")
    accommodations: Accommodations = Field(default_factory=Accommodations)
    external_ref: Annotated[SafeText, Field(max_length=200)] | None = Field(
        None, description="Your own reference (application or candidate id), returned as given.")


class InterviewCreated(BaseModel):
    interview_id: str
    state: InterviewStateName
    created_at: datetime
    candidate: CandidateAccess


class InterviewView(BaseModel):
    id: str
    state: InterviewStateName
    role: str
    level: Level
    language: Language
    created_at: datetime
    finished_at: datetime | None
    question_count: int
    answered_count: int
    external_ref: str | None
    time_limit_s: int | None
    accommodations: Accommodations
    consent: Consent | None
    report_ready: bool


class InterviewListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Annotated[str, Field(max_length=200)] | None = None
    state: InterviewStateName | None = None
    created_after: QueryDateTime | None = Field(None, description="Inclusive; ISO 8601 with a time zone.")
    created_before: QueryDateTime | None = Field(None, description="Exclusive; ISO 8601 with a time zone.")
    min_score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    max_score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=500)] | None = None


class InterviewListItem(BaseModel):
    id: str
    role: str
    level: Level
    language: Language
    state: InterviewStateName
    created_at: datetime
    finished_at: datetime | None
    overall_score: float | None = Field(description="The model's overall score (score filters use it).")
    human_overall_score: float | None = Field(description="A reviewer's overall score, when overridden.")
    question_count: int
    answered_count: int


class InterviewList(BaseModel):
    items: list[InterviewListItem]
    next_cursor: str | None


class CandidateTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revoke_previous: bool = Field(False, description="Invalidate every candidate token issued before this one.")


async def create_interview(call: Call[InterviewCreate, NoQuery]) -> InterviewCreated:
    """Plan a new interview from the spec and return the candidate's token and link."""
    services, body = call.services, call.body
    await services.tenants.get(call.tenant_id)
    session = await services.engine.start(body.spec, tenant=call.tenant_id)
    actor_type, actor_id = call.principal.actor
    try:
        record = await services.records.create(
            interview_id=session.id, tenant_id=call.tenant_id, created_by=f"{actor_type}:{actor_id}",
            external_ref=body.external_ref, time_limit_s=body.time_limit_s,
            extra_time_s=body.accommodations.extra_time_s, no_time_limit=body.accommodations.no_time_limit)
    except BaseException:
        await services.engine.delete_interview(session.id, tenant=call.tenant_id)
        raise
    issued = services.tokens.issue_candidate(tenant_id=call.tenant_id, interview_id=session.id,
                                             version=record.token_version)
    return InterviewCreated(interview_id=session.id, state=session.interview.state,
                            created_at=session.interview.created_at,
                            candidate=candidate_access(services, session.id, issued))


async def list_interviews(call: Call[None, InterviewListQuery]) -> InterviewList:
    """The tenant's interviews, newest first, filtered by role, state, creation date and model score."""
    q = call.query
    page = await call.services.engine.list_interviews(
        tenant=call.tenant_id, role=q.role, state=q.state, created_after=q.created_after,
        created_before=q.created_before, min_score=q.min_score, max_score=q.max_score, limit=q.limit,
        cursor=q.cursor)
    human = await call.services.overrides.overall(call.tenant_id, [s.id for s in page.items])
    items = [InterviewListItem(id=s.id, role=s.role, level=s.level, language=s.language, state=s.state,
                               created_at=s.created_at, finished_at=s.finished_at, overall_score=s.overall_score,
                               human_overall_score=human.get(s.id), question_count=s.question_count,
                               answered_count=s.answered_count) for s in page.items]
    return InterviewList(items=items, next_cursor=page.next_cursor)


async def get_interview(call: Call[None, NoQuery]) -> InterviewView:
    """An interview's state, settings and consent (the report is a separate, audited read)."""
    return await interview_view(call, await session_for(call, call.path["interview_id"]))


async def interview_view(call: Call[Any, Any], session: Session) -> InterviewView:
    interview_id = session.id
    record = call.record
    interview = session.interview
    report_ready = False
    if session.finished:
        try:
            await session.report(wait=False)
            report_ready = True
        except ReportNotReady:
            pass
    return InterviewView(
        id=interview.id, state=interview.state, role=interview.spec.role, level=interview.spec.level,
        language=interview.spec.language, created_at=interview.created_at, finished_at=interview.finished_at,
        question_count=len(session.questions), answered_count=len(session.answers),
        external_ref=record.external_ref, time_limit_s=record.time_limit_s,
        accommodations=Accommodations(extra_time_s=record.extra_time_s, no_time_limit=record.no_time_limit),
        consent=await call.services.consents.latest(interview_id), report_ready=report_ready)


async def finish_interview(call: Call[None, NoQuery]) -> InterviewView:
    """End the interview now (e.g. the candidate left); unanswered questions stay unanswered. Candidate
    tokens stop working. Idempotent."""
    interview_id = call.path["interview_id"]
    session = await session_for(call, interview_id)
    await session.finish()
    await call.services.hooks.interview_finished(session.interview)
    await call.services.records.revoke_candidate_tokens(interview_id, call.tenant_id)
    await audit(call, "interview.finished", ("interview", interview_id))
    return await interview_view(call, session)


async def delete_interview(call: Call[None, NoQuery]) -> None:
    """Delete the interview and every row that belongs to it (answers, evaluations, report, events,
    consents, drafts, overrides). The audit log keeps the fact of the deletion. Idempotent on retry."""
    services, interview_id = call.services, call.path["interview_id"]
    try:
        await services.engine.delete_interview(interview_id, tenant=call.tenant_id)
    except InterviewNotFound:
        pass  # a retry after a deletion that stopped half-way: the server's rows are still to go
    await services.records.delete(interview_id, call.tenant_id)
    await services.webhooks.forget_interview(tenant_id=call.tenant_id, interview_id=interview_id)
    await services.hooks.interview_deleted(tenant_id=call.tenant_id, interview_id=interview_id)
    await audit(call, "interview.deleted", ("interview", interview_id))


async def issue_candidate_token(call: Call[CandidateTokenRequest, NoQuery]) -> CandidateAccess:
    """A fresh candidate token and link (e.g. when the candidate opens your page), optionally revoking
    every earlier token. Only while the interview is not finished."""
    interview_id = call.path["interview_id"]
    session = await session_for(call, interview_id)
    if session.finished:
        raise Conflict("the interview is finished", code="illegal_state")
    version = call.record.token_version
    if call.body.revoke_previous:
        version = await call.services.records.revoke_candidate_tokens(interview_id, call.tenant_id)
    issued = call.services.tokens.issue_candidate(tenant_id=call.tenant_id, interview_id=interview_id,
                                                  version=version)
    return candidate_access(call.services, interview_id, issued)


_created_links = {
    "GetInterview": {"operationId": "get_interview", "parameters": {"interview_id": "$response.body#/interview_id"}},
    "GetReport": {"operationId": "get_report", "parameters": {"interview_id": "$response.body#/interview_id"}},
    "DeleteInterview": {"operationId": "delete_interview",
                        "parameters": {"interview_id": "$response.body#/interview_id"}},
}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/v1/interviews", create_interview, "Create an interview", TAG,
             Access(scope="interviews:write", roles=STAFF), body=InterviewCreate, response=InterviewCreated,
             status=201, errors=(503,), links=_created_links),
    Endpoint("GET", "/v1/interviews", list_interviews, "List interviews", TAG,
             Access(scope="interviews:read", roles=ALL_ROLES), query=InterviewListQuery, response=InterviewList),
    Endpoint("GET", "/v1/interviews/{interview_id}", get_interview, "Read an interview", TAG,
             Access(scope="interviews:read", roles=ALL_ROLES), response=InterviewView),
    Endpoint("POST", "/v1/interviews/{interview_id}/finish", finish_interview, "Finish an interview", TAG,
             Access(scope="interviews:write", roles=STAFF), response=InterviewView),
    Endpoint("DELETE", "/v1/interviews/{interview_id}", delete_interview, "Delete an interview", TAG,
             Access(scope="interviews:write", roles=STAFF), status=204),
    Endpoint("POST", "/v1/interviews/{interview_id}/candidate-token", issue_candidate_token,
             "Issue a candidate token", TAG, Access(scope="interviews:write", roles=STAFF),
             body=CandidateTokenRequest, response=CandidateAccess, errors=(409,)),
)
