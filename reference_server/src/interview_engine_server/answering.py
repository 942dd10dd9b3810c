"""Recording a candidate's answer, typed or spoken, the one way: through ``Session.answer`` (the store
decides whether it may be recorded), then, in one transaction, the answer's timing, the draft cleared and
the next question's clock started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from interview_engine import Answer, Question, Session

from .clock import utcnow
from .drafts import clear_draft
from .records import InterviewRecord
from .timing import record_timing, show_in

if TYPE_CHECKING:
    from .services import Services


@dataclass(frozen=True)
class Recorded:
    """An answer as stored, whether it came after the time limit, and what to show next."""

    answer: Answer
    over_limit: bool
    next_question: Question | None
    record: InterviewRecord
    """The interview's record after the next question was shown."""
    at: datetime


async def record_answer(services: Services, session: Session, record: InterviewRecord, question_id: str,
                        text: str, **answer_kwargs: Any) -> Recorded:
    """Store the answer (raises the SDK's typed errors when the store refuses it) and move the clock on."""
    next_question = await session.answer(question_id, text, **answer_kwargs)
    answer = next(a for a in session.answers if a.question_id == question_id)
    now = utcnow()
    async with services.db.begin() as conn:
        timing = await record_timing(conn, record, question_id, now)
        await clear_draft(conn, session.id, question_id)
        if next_question is not None:
            record = await show_in(conn, record, next_question.id, now)
    return Recorded(answer=answer, over_limit=timing.over_limit, next_question=next_question, record=record, at=now)
