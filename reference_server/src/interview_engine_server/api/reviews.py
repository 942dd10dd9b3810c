"""Recruiter review: the full report (transcript, questions, evidence, feedback, the emotion timeline and
proctoring signals apart from the scores) and human score overrides. Every report view is audited."""

from __future__ import annotations

from pydantic import BaseModel, Field

from interview_engine import Report

from ..auth.principals import ALL_ROLES, Access, RecruiterPrincipal
from ..errors import Forbidden, Invalid
from ..overrides import OverrideRequest, ScoreOverride, in_force
from ..routing import Call, Endpoint, NoQuery
from ..timing import AnswerTiming
from .common import audit, session_for
from .interviews import InterviewView, interview_view

TAG = "Review"


class OverridesInForce(BaseModel):
    overall: ScoreOverride | None
    dimensions: dict[str, ScoreOverride]


class ReportView(BaseModel):
    """The model's report unchanged, with the human overrides and answer timings beside it."""

    interview: InterviewView
    report: Report = Field(description="The model's report; `emotions` holds the emotion timeline and the "
                                       "proctoring signals, shown apart: they never enter a score.")
    overrides: list[ScoreOverride] = Field(description="Every override, oldest first (the audit trail).")
    overrides_in_force: OverridesInForce
    overall_score: float | None = Field(description="The human overall score when overridden, else the model's.")
    timings: dict[str, AnswerTiming] = Field(description="Per question id: time taken and whether over the limit.")


class OverrideList(BaseModel):
    items: list[ScoreOverride]


async def get_report(call: Call[None, NoQuery]) -> ReportView:
    """The full report for human review. Audited."""
    interview_id = call.path["interview_id"]
    session = await session_for(call, interview_id)
    report = await session.report(wait=False)
    view = await interview_view(call, session)
    overrides = await call.services.overrides.history(interview_id, call.tenant_id)
    current = in_force(overrides)
    overall = current.get(None)
    await audit(call, "report.viewed", ("interview", interview_id))
    return ReportView(
        interview=view, report=report, overrides=overrides,
        overrides_in_force=OverridesInForce(overall=overall, dimensions={
            k: o for k, o in current.items() if k is not None}),
        overall_score=overall.human_score if overall else report.overall_score,
        timings=await call.services.clock.timings(interview_id))


async def override_score(call: Call[OverrideRequest, NoQuery]) -> ScoreOverride:
    """Set a human score for the overall result or one rubric dimension, with a reason. The model's score
    is kept beside it. Audited."""
    principal = call.principal
    if not isinstance(principal, RecruiterPrincipal):
        raise Forbidden("overrides are made by people", code="credential_not_accepted")
    interview_id = call.path["interview_id"]
    report: Report = await (await session_for(call, interview_id)).report(wait=False)
    dimension = call.body.dimension
    if dimension is None:
        model_score = report.overall_score
    else:
        match = next((d for d in report.dimensions if d.key == dimension), None)
        if match is None:
            raise Invalid(f"the rubric has no dimension {dimension!r}", code="unknown_dimension")
        model_score = match.score
    override = await call.services.overrides.add(interview_id=interview_id, tenant_id=call.tenant_id,
                                                 account_id=principal.account_id, request=call.body,
                                                 model_score=model_score)
    await audit(call, "score.overridden", ("interview", interview_id), dimension=dimension,
                model_score=model_score, human_score=override.human_score)
    return override


async def list_overrides(call: Call[None, NoQuery]) -> OverrideList:
    """Every override of the interview's scores, oldest first."""
    interview_id = call.path["interview_id"]
    await session_for(call, interview_id)
    return OverrideList(items=await call.services.overrides.history(interview_id, call.tenant_id))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v1/interviews/{interview_id}/report", get_report, "Read the report", TAG,
             Access(scope="reports:read", roles=ALL_ROLES), response=ReportView, errors=(409,)),
    Endpoint("POST", "/v1/interviews/{interview_id}/overrides", override_score, "Override a score", TAG,
             Access(roles=ALL_ROLES), body=OverrideRequest, response=ScoreOverride, status=201, errors=(409,)),
    Endpoint("GET", "/v1/interviews/{interview_id}/overrides", list_overrides, "List score overrides", TAG,
             Access(roles=ALL_ROLES), response=OverrideList),
)
