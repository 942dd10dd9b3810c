"""What the candidate's widget calls, with a candidate token for this one interview: consent, state, the
current question, a draft that survives reconnects, typed answers, pause and resume, finish, a fresh
token, and the summary when the tenant allows it. No question is shown and no answer taken before consent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from interview_engine import Question, ReportNotReady, Session

from ..answering import Recorded, record_answer
from ..auth.principals import CANDIDATE, CANDIDATE_ANY, Access, CandidatePrincipal
from ..clock import utcnow
from ..consents import Consent, ConsentNotice, ConsentRequest, notice_sha256
from ..drafts import Draft, DraftRequest
from ..errors import Conflict, Forbidden, Invalid
from ..fields import RecordId
from ..media import IceServer, ice_servers
from ..records import InterviewRecord
from ..routing import Call, Endpoint, NoQuery
from ..timing import QuestionClock, reading
from .common import CandidateAccess, candidate_access, session_for

TAG = "Candidate"
MAX_ANSWER_CHARS = 20_000


class CandidateQuestion(BaseModel):
    id: str
    text: str
    kind: Literal["question", "follow_up"]
    number: int = Field(description="1 for the first question; follow-ups count too.")
    clock: QuestionClock


class CandidateState(BaseModel):
    interview_id: str
    state: Literal["awaiting_consent", "in_progress", "paused", "finished"]
    role: str
    language: str
    consent_notice: ConsentNotice
    consent: Consent | None
    current_question: CandidateQuestion | None = Field(description="None before consent and when finished.")
    answered_count: int
    question_count: int
    draft: Draft | None
    summary_available: bool
    ice_servers: list[IceServer] = Field(description="STUN and TURN servers for the live (WebRTC) connection.")
    token_expires_at: datetime


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: RecordId
    text: Annotated[str, Field(min_length=1, max_length=MAX_ANSWER_CHARS)]


class AnswerAccepted(BaseModel):
    answer_id: str
    over_limit: bool = Field(description="The answer came after the question's time limit (it is kept).")
    next_question: CandidateQuestion | None = Field(description="None when every question is answered.")
    answered_count: int


class FinishResult(BaseModel):
    state: Literal["finished"]
    summary: CandidateAccess | None = Field(
        description="When the tenant shows candidates a summary: a token that may only read it.")


class FeedbackItem(BaseModel):
    question: str
    feedback: str


class CandidateSummary(BaseModel):
    """What a candidate may see afterwards: no scores, only the written feedback on their answers."""

    answered_count: int
    question_count: int
    feedback: list[FeedbackItem]


def _candidate(call: Call[Any, Any]) -> CandidatePrincipal:
    principal = call.principal
    assert isinstance(principal, CandidatePrincipal)  # the route admits only candidate tokens
    return principal


async def _load(call: Call[Any, Any]) -> tuple[Session, InterviewRecord]:
    return await session_for(call, call.path["interview_id"]), call.record


def _question(session: Session, question: Question, record: InterviewRecord, now: datetime) -> CandidateQuestion:
    return CandidateQuestion(id=question.id, text=question.text,
                             kind="follow_up" if question.kind == "follow_up" else "question",
                             number=len(session.answers) + 1, clock=reading(record, now))


async def _shown(call: Call[Any, Any], session: Session, record: InterviewRecord) -> CandidateQuestion | None:
    """The current question as shown to the candidate now (its clock starts on first showing)."""
    question = session.current_question
    if question is None:
        return None
    now = utcnow()
    record = await call.services.clock.show(record, question.id, now)
    return _question(session, question, record, now)


async def _state(call: Call[Any, Any], session: Session, record: InterviewRecord) -> CandidateState:
    services, principal = call.services, _candidate(call)
    tenant = await services.tenants.get(call.tenant_id)
    consent = await services.consents.latest(session.id)
    sitting = principal.token_type == "candidate" and consent is not None
    question = await _shown(call, session, record) if sitting else None
    draft = await services.drafts.get(session.id, question.id if question else None)
    state = session.interview.state if session.finished or consent is not None else "awaiting_consent"
    return CandidateState(
        interview_id=session.id, state=state, role=session.spec.role, language=session.spec.language,
        consent_notice=ConsentNotice(text=tenant.consent_notice, sha256=notice_sha256(tenant.consent_notice),
                                     emotion_analysis_offered=session.spec.emotion_analysis),
        consent=consent, current_question=question, answered_count=len(session.answers),
        question_count=len(session.questions), draft=draft,
        summary_available=session.finished and tenant.candidate_summary, token_expires_at=principal.expires_at,
        ice_servers=ice_servers(services.settings, session.id) if sitting else [])


def require_consent(record: InterviewRecord) -> None:
    """Conflict (``consent_required``) until the candidate has consented."""
    if record.consented_at is None:
        raise Conflict("the candidate has not consented yet", code="consent_required")


async def candidate_state(call: Call[None, NoQuery]) -> CandidateState:
    """Everything the widget shows: state, consent notice, the current question with its clock, the draft."""
    session, record = await _load(call)
    return await _state(call, session, record)


async def give_consent(call: Call[ConsentRequest, NoQuery]) -> CandidateState:
    """Record the candidate's consent to the notice, with each optional processing chosen separately."""
    session, record = await _load(call)
    body, services = call.body, call.services
    if session.finished:
        raise Conflict("the interview is finished", code="illegal_state")
    if not body.accept:
        raise Invalid("consent requires accepting the notice", code="consent_not_accepted")
    if body.emotion_analysis and not session.spec.emotion_analysis:
        raise Invalid("emotion analysis is not part of this interview", code="emotion_analysis_not_offered")
    tenant = await services.tenants.get(call.tenant_id)
    if body.notice_sha256 != notice_sha256(tenant.consent_notice):
        raise Conflict("the notice has changed; show the current one and ask again", code="notice_changed")
    await services.consents.record(interview_id=session.id, tenant_id=call.tenant_id, request=body,
                                   notice_text=tenant.consent_notice, emotion_offered=session.spec.emotion_analysis,
                                   ip=call.client_ip, user_agent=call.user_agent)
    return await _state(call, session, record)


async def current_question(call: Call[None, NoQuery]) -> CandidateQuestion:
    """The question to answer now, with its clock."""
    require_consent(call.record)
    session, record = await _load(call)
    question = await _shown(call, session, record)
    if question is None:
        raise Conflict("there is no question to answer; finish the interview", code="no_current_question")
    return question


async def save_draft(call: Call[DraftRequest, NoQuery]) -> Draft:
    """Save the answer in progress for the current question (replacing the previous draft)."""
    require_consent(call.record)
    session, _ = await _load(call)
    current = session.current_question
    if current is None or current.id != call.body.question_id:
        raise Conflict("that is not the current question", code="wrong_question")
    return await call.services.drafts.save(session.id, call.body)


async def submit_answer(call: Call[AnswerRequest, NoQuery]) -> AnswerAccepted:
    """Answer the current question with text. The answer is stored before anything else happens to it."""
    require_consent(call.record)
    session, record = await _load(call)
    recorded = await record_answer(call.services, session, record, call.body.question_id, call.body.text,
                                   source="typed")
    return answer_accepted(session, recorded)


def answer_accepted(session: Session, recorded: Recorded) -> AnswerAccepted:
    """The response to a recorded answer, typed or spoken."""
    shown = None
    if recorded.next_question is not None:
        shown = _question(session, recorded.next_question, recorded.record, recorded.at)
    return AnswerAccepted(answer_id=recorded.answer.id, over_limit=recorded.over_limit, next_question=shown,
                          answered_count=len(session.answers))


async def pause_interview(call: Call[None, NoQuery]) -> CandidateState:
    """Pause: no answers are taken and the question's clock stops until resumed. Idempotent."""
    session, record = await _load(call)
    await session.pause()
    await call.services.clock.pause(record, utcnow())
    return await _state(call, session, await _reloaded(call, record))


async def resume_interview(call: Call[None, NoQuery]) -> CandidateState:
    """Resume after a pause; the clock continues where it stopped. Idempotent."""
    session, record = await _load(call)
    await session.unpause()
    await call.services.clock.resume(record, utcnow())
    return await _state(call, session, await _reloaded(call, record))


async def _reloaded(call: Call[Any, Any], record: InterviewRecord) -> InterviewRecord:
    fresh = await call.services.records.get(record.interview_id, record.tenant_id)
    assert fresh is not None
    return fresh


async def finish_as_candidate(call: Call[None, NoQuery]) -> FinishResult:
    """End the interview. This token and every other candidate token stop working; when the tenant shows
    summaries, a summary token is returned."""
    session, _ = await _load(call)
    services = call.services
    await session.finish()
    await services.hooks.interview_finished(session.interview)
    version = await services.records.revoke_candidate_tokens(session.id, call.tenant_id)
    tenant = await services.tenants.get(call.tenant_id)
    summary = None
    if tenant.candidate_summary:
        issued = services.tokens.issue_candidate(tenant_id=call.tenant_id, interview_id=session.id, version=version,
                                                 token_type="candidate_summary")
        summary = candidate_access(services, session.id, issued)
    return FinishResult(state="finished", summary=summary)


async def candidate_summary(call: Call[None, NoQuery]) -> CandidateSummary:
    """The written feedback on the candidate's answers, when the tenant allows it (never scores)."""
    session, _ = await _load(call)
    if not (await call.services.tenants.get(call.tenant_id)).candidate_summary:
        raise Forbidden("this organisation does not share summaries", code="summary_disabled")
    if not session.finished:
        raise Conflict("the interview is not finished", code="illegal_state")
    try:
        report = await session.report(wait=False)
    except ReportNotReady:
        raise Conflict("the summary is not ready yet", code="report_not_ready") from None
    feedback = [FeedbackItem(question=r.question.text, feedback=r.evaluation.feedback) for r in report.questions
                if r.evaluation is not None and r.evaluation.feedback]
    return CandidateSummary(answered_count=len(session.answers), question_count=len(session.questions),
                            feedback=feedback)


async def refresh_candidate_token(call: Call[None, NoQuery]) -> CandidateAccess:
    """A new candidate token for the same interview, while it is not finished (the widget calls this
    before the current token expires)."""
    session, record = await _load(call)
    if session.finished:
        raise Conflict("the interview is finished", code="illegal_state")
    issued = call.services.tokens.issue_candidate(tenant_id=call.tenant_id, interview_id=session.id,
                                                  version=record.token_version)
    return candidate_access(call.services, session.id, issued)


_BASE = "/v1/interviews/{interview_id}/candidate"
_SITTING = Access(candidate=CANDIDATE)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", _BASE, candidate_state, "Candidate: state", TAG, Access(candidate=CANDIDATE_ANY),
             response=CandidateState),
    Endpoint("POST", f"{_BASE}/consent", give_consent, "Candidate: give consent", TAG, _SITTING,
             body=ConsentRequest, response=CandidateState, errors=(409,)),
    Endpoint("GET", f"{_BASE}/question", current_question, "Candidate: current question", TAG, _SITTING,
             response=CandidateQuestion, errors=(409,)),
    Endpoint("PUT", f"{_BASE}/draft", save_draft, "Candidate: save a draft answer", TAG, _SITTING,
             body=DraftRequest, response=Draft, errors=(409,)),
    Endpoint("POST", f"{_BASE}/answers", submit_answer, "Candidate: answer", TAG, _SITTING,
             body=AnswerRequest, response=AnswerAccepted, status=201, errors=(409,)),
    Endpoint("POST", f"{_BASE}/pause", pause_interview, "Candidate: pause", TAG, _SITTING,
             response=CandidateState, errors=(409,)),
    Endpoint("POST", f"{_BASE}/resume", resume_interview, "Candidate: resume", TAG, _SITTING,
             response=CandidateState, errors=(409,)),
    Endpoint("POST", f"{_BASE}/finish", finish_as_candidate, "Candidate: finish", TAG, _SITTING,
             response=FinishResult),
    Endpoint("GET", f"{_BASE}/summary", candidate_summary, "Candidate: summary", TAG,
             Access(candidate=CANDIDATE_ANY), response=CandidateSummary, errors=(409,)),
    Endpoint("POST", f"{_BASE}/token", refresh_candidate_token, "Candidate: refresh the token", TAG, _SITTING,
             response=CandidateAccess, errors=(409,)),
)
