"""The Store protocol. Every method is atomic; a failed call leaves nothing half-written.

Tenants: every method that takes an interview id also takes ``tenant``. When it is given, an interview of
another tenant behaves exactly like a missing one (``InterviewNotFound``, an empty list or None, as the
method documents for a missing interview). ``tenant=None`` is for the engine's own background work (the
evaluation job, the report), which reaches interviews through its outbox, never through an id a caller
supplied. An id that cannot be an interview id (``identifiers.is_interview_id``) is a missing interview,
never a database error.

Order: the store, not a Session in memory, decides whether an answer or a follow-up may be recorded; it
checks and writes in one transaction that holds the interview's row (Postgres ``SELECT … FOR UPDATE``,
SQLite's write lock), so concurrent sessions and processes see one order of events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import Field

from ..listing import InterviewQuery
from ..models import (
    Answer,
    EmotionSample,
    Evaluation,
    Interview,
    InterviewPage,
    Question,
    Record,
    Report,
    utcnow,
)

JobStatus = Literal["queued", "done", "failed"]


class JobRecord(Record):
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
    """Durable state of interviews. Implementations must be safe to share between tasks.

    Every call a host reaches takes the tenant (``tenant=None`` only from the engine's own code paths
    that already checked it). The calls without one (``get_answer``, ``get_evaluation``,
    ``settle_evaluation``, ``save_report``, and the job calls) belong to the job runner: they are keyed by
    the random ids of a job it holds, and a host must never pass them an id that came from outside.
    """

    async def open(self) -> None:
        """Connect (and migrate, when the store is configured to)."""
        ...

    async def aclose(self) -> None: ...

    async def create_interview(
        self, interview: Interview, questions: list[Question], job: JobRecord | None = None
    ) -> None:
        """Store a new interview with the planned questions it has so far and, when given, the job that plans
        the rest (queued in the outbox), in one transaction (creating its tenant)."""
        ...

    async def get_interview(self, interview_id: str, *, tenant: str | None = None) -> Interview:
        """Raise InterviewNotFound when absent (or another tenant's)."""
        ...

    async def list_interviews(self, query: InterviewQuery) -> InterviewPage:
        """The query's tenant's interviews matching its filters, filtered in the database (never by loading
        reports), newest first by ``(created_at, id)``, strictly after ``query.after``; build the page
        from up to ``query.limit + 1`` rows with ``listing.page_of``. ``overall_score`` is the stored
        report's, so it must be kept where the filter can use it when ``save_report`` runs."""
        ...

    async def delete_interview(self, interview_id: str, *, tenant: str) -> None:
        """Remove the interview and every row that belongs to it (questions, answers, evaluations, their
        jobs, emotion samples, report) in one transaction. InterviewNotFound when absent (or another
        tenant's). A job of the deleted interview that runs later finds nothing and does nothing."""
        ...

    async def set_paused(self, interview_id: str, paused: bool, *, tenant: str | None = None) -> tuple[Interview, bool]:
        """Move an interview between ``in_progress`` and ``paused``. Returns the interview and whether this
        call changed its state (pausing a paused interview changes nothing). IllegalTransition when it is
        finished; InterviewNotFound when absent."""
        ...

    async def add_question(
        self, question: Question, *, tenant: str | None = None, not_after: datetime | None = None
    ) -> None:
        """Store a follow-up or a planned question if ``order.check_added`` allows it, checked in the same
        transaction with the store's clock as ``now``: a follow-up's parent is answered, no later question
        is, its place is free, the spec's ``max_follow_ups`` holds, and it is not later than ``not_after``;
        a planned question takes the next free place within the spec's ``question_count``.
        IllegalTransition otherwise, InterviewNotFound when absent."""
        ...

    async def list_questions(self, interview_id: str, *, tenant: str | None = None) -> list[Question]:
        """In interview order: by (ordinal, depth). Empty when the interview is absent."""
        ...

    async def record_answer(self, answer: Answer, job: JobRecord | None, *, tenant: str | None = None) -> None:
        """Store the answer and, when ``job`` is given, its pending evaluation and evaluation job, all in
        one transaction, after checking in that same transaction, with ``order.check_answer``, that the
        interview is in progress and the question is the current one: IllegalTransition when paused or
        finished, AnswerAlreadyRecorded when the question has an answer, WrongQuestion when it is not the
        current one (or not of this interview), InterviewNotFound when the interview is absent."""
        ...

    async def get_answer(self, answer_id: str) -> Answer: ...

    async def list_answers(self, interview_id: str, *, tenant: str | None = None) -> list[Answer]:
        """Empty when the interview is absent."""
        ...

    async def settle_evaluation(self, evaluation: Evaluation) -> bool:
        """Replace a pending evaluation with a done or failed one. Returns False (and changes
        nothing) if it was already settled or no longer exists, which makes a re-run job harmless."""
        ...

    async def get_evaluation(self, answer_id: str) -> Evaluation | None: ...

    async def list_evaluations(self, interview_id: str, *, tenant: str | None = None) -> list[Evaluation]:
        """Empty when the interview is absent."""
        ...

    async def finish_interview(
        self, interview_id: str, finished_at: datetime, *, tenant: str | None = None
    ) -> Interview:
        """Mark the interview finished, from in progress or paused (idempotent), and return it."""
        ...

    async def save_report(self, report: Report) -> bool:
        """Store the report unless one exists (and keep its overall score where ``list_interviews`` filters
        on it); True when this call stored it."""
        ...

    async def get_report(self, interview_id: str, *, tenant: str | None = None) -> Report | None:
        """None when there is no report yet or the interview is absent."""
        ...

    async def add_emotion_samples(self, samples: list[EmotionSample], *, tenant: str | None = None) -> None:
        """InterviewNotFound when a sample's interview is absent."""
        ...

    async def list_emotion_samples(self, interview_id: str, *, tenant: str | None = None) -> list[EmotionSample]:
        """In time order; empty when the interview is absent."""
        ...

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


@runtime_checkable
class LoadingStore(Store, Protocol):
    """A Store that reads an interview with its questions and answers in one call. Optional: the engine
    uses ``load_interview`` when a store has it (what a session loads on every request), else three reads."""

    async def load_interview(
        self, interview_id: str, *, tenant: str | None = None
    ) -> tuple[Interview, list[Question], list[Answer]]:
        """The interview with its questions (in interview order, as ``list_questions``) and its answers
        (in the order of their questions), read together. InterviewNotFound when absent (or another
        tenant's)."""
        ...


async def load_interview(
    store: Store, interview_id: str, *, tenant: str | None = None
) -> tuple[Interview, list[Question], list[Answer]]:
    """An interview with its questions and answers, as ``tenant`` sees it: in one call from a
    ``LoadingStore``, else through ``get_interview``, ``list_questions`` and ``list_answers``."""
    load = getattr(store, "load_interview", None)  # not isinstance: it checks every method on every call
    if load is not None:
        loaded: tuple[Interview, list[Question], list[Answer]] = await load(interview_id, tenant=tenant)
        return loaded
    interview = await store.get_interview(interview_id, tenant=tenant)
    return (interview, await store.list_questions(interview_id, tenant=tenant),
            await store.list_answers(interview_id, tenant=tenant))
