"""The Store protocol. Every method is atomic; a failed call leaves nothing half-written."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import Field

from ..models import Answer, EmotionSample, Evaluation, Interview, Model, Question, Report, utcnow

JobStatus = Literal["queued", "done", "failed"]


class JobRecord(Model):
    """A background job in the outbox. ``key`` makes it idempotent: one job per key, ever.

    Its retry state lives here, so it outlives the process running it: ``attempts`` counts the runs
    started so far, ``next_attempt_at`` is when a queued job may next run, ``last_error`` why the last one
    failed.
    """

    key: str
    name: str
    payload: dict[str, Any]
    status: JobStatus = "queued"
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)


@runtime_checkable
class Store(Protocol):
    """Durable state of interviews. Implementations must be safe to share between tasks."""

    async def open(self) -> None:
        """Connect (and migrate, when the store is configured to)."""
        ...

    async def aclose(self) -> None: ...

    async def create_interview(self, interview: Interview, questions: list[Question]) -> None:
        """Store a new interview with its planned questions in one transaction (creating its tenant)."""
        ...

    async def get_interview(self, interview_id: str) -> Interview:
        """Raise InterviewNotFound when absent."""
        ...

    async def add_question(self, question: Question) -> None: ...

    async def list_questions(self, interview_id: str) -> list[Question]:
        """In interview order: by (ordinal, depth)."""
        ...

    async def record_answer(self, answer: Answer, job: JobRecord | None) -> None:
        """Store the answer and, when ``job`` is given, its pending evaluation and evaluation job, all in
        one transaction. Raise AnswerAlreadyRecorded if the question already has an answer.
        """
        ...

    async def get_answer(self, answer_id: str) -> Answer: ...

    async def list_answers(self, interview_id: str) -> list[Answer]: ...

    async def settle_evaluation(self, evaluation: Evaluation) -> bool:
        """Replace a pending evaluation with a done or failed one. Returns False (and changes
        nothing) if it was already settled, which makes a re-run job harmless."""
        ...

    async def get_evaluation(self, answer_id: str) -> Evaluation | None: ...

    async def list_evaluations(self, interview_id: str) -> list[Evaluation]: ...

    async def finish_interview(self, interview_id: str, finished_at: datetime) -> Interview:
        """Mark the interview finished (idempotent) and return it."""
        ...

    async def save_report(self, report: Report) -> bool:
        """Store the report unless one exists; True when this call stored it."""
        ...

    async def get_report(self, interview_id: str) -> Report | None: ...

    async def add_emotion_samples(self, samples: list[EmotionSample]) -> None: ...

    async def list_emotion_samples(self, interview_id: str) -> list[EmotionSample]: ...

    async def pending_jobs(self) -> list[JobRecord]:
        """Jobs still queued, oldest first, including those not yet due: what a runner resumes after a
        restart and what the outbox sweep hands over."""
        ...

    async def get_job(self, key: str) -> JobRecord | None: ...

    async def start_job_attempt(self, key: str) -> int | None:
        """Count one more run of a queued job, before it runs, and return the new count; None (and no
        change) when the job is no longer queued."""
        ...

    async def defer_job(self, key: str, *, error: str, next_attempt_at: datetime) -> None:
        """Record a failed run of a queued job and when to try it next; it stays queued. No change to a
        job that is done or failed."""
        ...

    async def finish_job(self, key: str, *, error: str | None = None) -> None:
        """Mark a job done, or failed (given up) with its error. Counts no attempt."""
        ...
