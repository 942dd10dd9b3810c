"""``ServerHooks``: the SDK's lifecycle hooks turned into interview events and webhooks.

The app builds one and registers it: ``engine.plugins.register(ServerHooks(events, webhooks))``.

| hook | events (``*`` recruiter only) | webhook |
| --- | --- | --- |
| on_session_started | | interview.started |
| after_question_asked | question.asked | |
| after_answer_recorded | answer.recorded | |
| after_answer_evaluated | evaluation.updated (status), evaluation.updated* (with scores) | |
| on_session_paused / unpaused | interview.paused / interview.resumed | |
| on_session_finished (report stored) | interview.finished, report.ready | interview.finished, report.ready |

Hooks may run twice (evaluation jobs are at-least-once, in any process): each event of one logical
occurrence carries a dedupe key and each webhook an idempotency key, so a repeat publishes and sends
nothing new. The API calls ``interview_finished`` right after ``Session.finish()`` (so the finish is
announced before the report) and ``interview_deleted`` after ``Engine.delete_interview``.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from interview_engine import Answer, Evaluation, Interview, Question, Report, hookimpl

from .event_types import NewEvent

if TYPE_CHECKING:  # the worker plugin imports this module in every SDK process: keep it light
    from .events import EventLog
    from .webhooks import WebhookEventType, WebhookService

_live: weakref.WeakSet[ServerHooks] = weakref.WeakSet()


def registered_in_this_process() -> bool:
    """Whether an app in this process built its own ServerHooks (then the worker plugin stays quiet)."""
    return any(type(hooks) is ServerHooks for hooks in _live)


def interview_summary(interview: Interview) -> dict[str, Any]:
    """What a webhook says about an interview (no spec material such as the résumé)."""
    return {"interview_id": interview.id, "role": interview.spec.role, "level": interview.spec.level,
            "language": interview.spec.language, "state": interview.state,
            "created_at": interview.created_at.isoformat(),
            "finished_at": interview.finished_at.isoformat() if interview.finished_at else None}


class ServerHooks:
    """A pluggy plugin object publishing lifecycle hooks to the EventLog and the WebhookService."""

    def __init__(self, events: EventLog, webhooks: WebhookService) -> None:
        self._events = events
        self._webhooks = webhooks
        _live.add(self)

    async def _targets(self) -> tuple[EventLog, WebhookService] | None:
        """Where to publish; None to do nothing (see the worker plugin)."""
        return self._events, self._webhooks

    async def _publish(self, interview: Interview, *events: NewEvent) -> None:
        """Publish events of one occurrence together (one transaction)."""
        targets = await self._targets()
        if targets is not None:
            await targets[0].publish_all(tenant_id=interview.tenant_id, interview_id=interview.id, events=events)

    async def _emit(self, interview: Interview, type: WebhookEventType, data: dict[str, Any]) -> None:
        targets = await self._targets()
        if targets is not None:
            await targets[1].emit(tenant_id=interview.tenant_id, type=type, data=data,
                                  idempotency_key=f"{interview.id}:{type}")

    @hookimpl
    async def on_session_started(self, interview: Interview, questions: list[Question]) -> None:
        await self._emit(interview, "interview.started", {**interview_summary(interview),
                                                          "question_count": len(questions)})

    @hookimpl
    async def after_question_asked(self, interview: Interview, question: Question) -> None:
        await self._publish(interview, NewEvent("question.asked", {
            "question_id": question.id, "ordinal": question.ordinal, "depth": question.depth, "kind": question.kind,
            "text": question.text}, dedupe_key=f"question:{question.id}"))

    @hookimpl
    async def after_answer_recorded(self, interview: Interview, question: Question, answer: Answer) -> None:
        await self._publish(interview, NewEvent("answer.recorded", {
            "question_id": question.id, "answer_id": answer.id, "source": answer.source, "text": answer.text,
            "duration_s": answer.duration_s}, dedupe_key=f"answer:{answer.id}"))

    @hookimpl
    async def after_answer_evaluated(self, interview: Interview, answer: Answer, evaluation: Evaluation) -> None:
        status = {"answer_id": answer.id, "question_id": answer.question_id, "status": evaluation.status}
        scored = {**status, "scores": [s.model_dump(mode="json") for s in evaluation.scores],
                  "feedback": evaluation.feedback, "reason": evaluation.reason,
                  "flags": list(evaluation.flags)}
        await self._publish(interview, NewEvent("evaluation.updated", status, dedupe_key=f"evaluation:{answer.id}"),
                            NewEvent("evaluation.updated", scored, recruiter_only=True,
                                     dedupe_key=f"evaluation-scores:{answer.id}"))

    @hookimpl
    async def on_session_paused(self, interview: Interview) -> None:
        await self._publish(interview, NewEvent("interview.paused", {}))

    @hookimpl
    async def on_session_unpaused(self, interview: Interview) -> None:
        await self._publish(interview, NewEvent("interview.resumed", {}))

    async def interview_finished(self, interview: Interview) -> None:
        """Publish ``interview.finished`` (event and webhook) now, before the report: the API calls this
        after ``Session.finish()``; ``on_session_finished`` later finds it done and adds nothing."""
        finished_at = interview.finished_at.isoformat() if interview.finished_at else None
        await self._publish(interview, NewEvent("interview.finished", {"finished_at": finished_at},
                                                  dedupe_key="finished"))
        await self._emit(interview, "interview.finished", interview_summary(interview))

    async def interview_deleted(self, *, tenant_id: str, interview_id: str) -> None:
        """After ``Engine.delete_interview``: remove the interview's events and send ``interview.deleted``."""
        targets = await self._targets()
        if targets is None:
            return
        events, webhooks = targets
        await events.delete_interview(tenant_id=tenant_id, interview_id=interview_id)
        await webhooks.emit(tenant_id=tenant_id, type="interview.deleted",
                            data={"interview_id": interview_id, "deleted_at": datetime.now(UTC).isoformat()},
                            idempotency_key=f"{interview_id}:interview.deleted")

    @hookimpl
    async def on_session_finished(self, interview: Interview, report: Report) -> None:
        await self.interview_finished(interview)
        await self._publish(interview, NewEvent("report.ready", {"generated_at": report.generated_at.isoformat()},
                                                dedupe_key="report"))
        await self._emit(interview, "report.ready", {**interview_summary(interview),
                                                     "report": report.model_dump(mode="json")})
