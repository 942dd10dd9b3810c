"""One interview as a state machine: the only place that knows the order of events.

    start: plan questions -> store interview + questions -> on_session_started -> after_question_asked
    answer: check -> store answer + pending evaluation + job (one transaction) -> enqueue job
            -> after_answer_recorded -> follow-up? (stored) -> after_question_asked(next)
    job:    evaluate -> check evidence -> settle evaluation -> after_answer_evaluated -> finalize
            (a job that gives up settles the evaluation as failed instead, and finalizes the same way)
    finish: mark finished -> finalize
    finalize (after finish and after each settled evaluation): when finished and nothing is pending,
            build and store the report once -> on_session_finished

Both finish and the evaluation job write first and read second, so whichever comes last sees the
other's write and the report is always built.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

import anyio
import pluggy
from pydantic import ValidationError

from .errors import (
    MAX_SUMMARY_CHARS,
    AnswerAlreadyRecorded,
    EvaluationFailed,
    IllegalTransition,
    InvalidAnswer,
    InvalidSpec,
    ProviderError,
    ReportNotReady,
    SessionError,
    WrongQuestion,
    error_summary,
    validation_message,
)
from .grounding import grade
from .jobs.base import Jobs, evaluation_job
from .jobs.outbox import hand_over
from .models import (
    MAX_ANSWER_CHARS,
    Answer,
    AnswerSource,
    EmotionSample,
    Evaluation,
    FollowUpRequest,
    Interview,
    InterviewSpec,
    InterviewState,
    Question,
    QuestionDraft,
    QuestionPlanRequest,
    Report,
    TranscriptSegment,
    Turn,
    check_text,
    utcnow,
)
from .plugins import call_lifecycle
from .providers import Evaluator, QuestionSource
from .report import build_report
from .store.base import Store
from .text import storable_text

log = logging.getLogger(__name__)

REPORT_POLL_S = (0.02, 0.5)


@dataclass(frozen=True)
class SessionContext:
    """What a session needs from its engine: the store, the providers, the jobs and the hooks."""

    store: Store
    plugins: pluggy.PluginManager
    question_source: QuestionSource
    question_source_name: str
    evaluator: Evaluator | None
    evaluator_name: str | None
    jobs: Jobs
    evaluation_timeout_s: float = 600.0
    follow_up_timeout_s: float = 60.0


def parse_spec(spec: InterviewSpec | dict[str, Any]) -> InterviewSpec:
    """Validate a spec given as a model or a dict; errors become one-line InvalidSpec messages."""
    if isinstance(spec, InterviewSpec):
        return spec
    try:
        return InterviewSpec.model_validate(spec)
    except ValidationError as exc:
        raise InvalidSpec(f"invalid interview spec: {validation_message(exc)}") from exc


def check_answer_text(text: object) -> str:
    """The answer text to store, or InvalidAnswer explaining why it cannot be stored."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidAnswer(f"answer is not valid UTF-8 (byte {exc.start})") from exc
    if not isinstance(text, str):
        raise InvalidAnswer(f"answer text must be a string, not {type(text).__name__}")
    if not text.strip():  # only this check strips: leading indentation (code) is part of the answer
        raise InvalidAnswer("answer is empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise InvalidAnswer(f"answer is {len(text):,} characters; the limit is {MAX_ANSWER_CHARS:,}")
    try:
        return check_text(text)
    except ValueError as exc:
        raise InvalidAnswer(f"answer {exc}") from exc


class Session:
    """A live interview. Get one from ``Engine.start`` or ``Engine.resume``; do not construct it."""

    def __init__(
        self, ctx: SessionContext, interview: Interview, questions: Sequence[Question], answers: Sequence[Answer]
    ) -> None:
        self._ctx = ctx
        self._interview = interview
        self._questions = sorted(questions, key=lambda q: q.sort_key)
        self._answers = {a.question_id: a for a in answers}
        self._lock = anyio.Lock()

    # reading state

    @property
    def id(self) -> str:
        return self._interview.id

    @property
    def interview(self) -> Interview:
        return self._interview

    @property
    def spec(self) -> InterviewSpec:
        return self._interview.spec

    @property
    def tenant(self) -> str:
        return self._interview.tenant_id

    @property
    def state(self) -> InterviewState:
        """``in_progress``, ``paused`` or ``finished``, as this session last saw it in the store."""
        return self._interview.state

    @property
    def finished(self) -> bool:
        return self._interview.state == "finished"

    @property
    def questions(self) -> list[Question]:
        """Every question so far, in interview order."""
        return list(self._questions)

    @property
    def answers(self) -> list[Answer]:
        """Stored answers, in interview order."""
        return [self._answers[q.id] for q in self._questions if q.id in self._answers]

    @property
    def current_question(self) -> Question | None:
        """The question awaiting an answer; None when all are answered or the interview is finished."""
        if self.finished:
            return None
        return next((q for q in self._questions if q.id not in self._answers), None)

    def follow_ups_used(self, ordinal: int) -> int:
        return sum(1 for q in self._questions if q.ordinal == ordinal and q.depth > 0)

    # starting

    @classmethod
    async def start(cls, ctx: SessionContext, spec: InterviewSpec, *, tenant: str) -> Session:
        interview = Interview(spec=spec, tenant_id=tenant)
        questions = await _plan_questions(ctx, interview)
        await ctx.store.create_interview(interview, questions)
        session = cls(ctx, interview, questions, [])
        await call_lifecycle(ctx.plugins, "on_session_started", interview=interview, questions=questions)
        await session._announce_current()
        return session

    @classmethod
    async def load(cls, ctx: SessionContext, interview_id: str, *, tenant: str) -> Session:
        """The tenant's interview from the store; InterviewNotFound for a missing or foreign one."""
        return cls(ctx, *await _read(ctx.store, interview_id, tenant))

    async def refresh(self) -> None:
        """Reload state, questions and answers from the store: another session or process may have moved
        the interview on. A refused answer or pause refreshes the session by itself."""
        async with self._lock:
            await self._reload()

    async def _reload(self) -> None:
        self._interview, questions, answers = await _read(self._ctx.store, self.id, self.tenant)
        self._questions = sorted(questions, key=lambda q: q.sort_key)
        self._answers = {a.question_id: a for a in answers}

    # answering

    async def answer(
        self,
        question_id: str,
        text: str,
        *,
        source: AnswerSource = "typed",
        duration_s: float | None = None,
        segments: Sequence[TranscriptSegment] = (),
    ) -> Question | None:
        """Record the answer to the current question; returns the next question, or None when there is
        none left (then call ``finish``). Nothing is stored if the answer is rejected.

        The store decides: when another session or process moved the interview on (answered, paused,
        finished), the answer is refused with a typed error and this session reloads its view first."""
        clean = check_answer_text(text)
        async with self._lock:
            try:
                question = self._check_answerable(question_id)
            except SessionError:  # this session's view may be stale: check again against the store
                await self._reload()
                question = self._check_answerable(question_id)
            try:
                answer = Answer(
                    interview_id=self.id, question_id=question.id, text=clean, source=source,
                    duration_s=duration_s, segments=list(segments),
                )
            except ValidationError as exc:
                raise InvalidAnswer(f"invalid answer: {validation_message(exc)}") from exc
            job = evaluation_job(answer.id) if self._ctx.evaluator is not None else None
            try:
                await self._ctx.store.record_answer(answer, job, tenant=self.tenant)
            except SessionError:
                await self._reload()
                raise
            self._answers[question.id] = answer
            if job is not None:
                await hand_over(self._ctx.jobs, job)
            await call_lifecycle(
                self._ctx.plugins, "after_answer_recorded", interview=self._interview, question=question,
                answer=answer,
            )
            await self._maybe_follow_up(question, answer)
            return await self._announce_current()

    def _check_answerable(self, question_id: str) -> Question:
        if self.finished:
            raise IllegalTransition("the interview is finished; no more answers are accepted")
        if self.state == "paused":
            raise IllegalTransition("the interview is paused; unpause it to answer")
        current = self.current_question
        if question_id in self._answers:
            raise AnswerAlreadyRecorded(f"question {question_id} already has an answer")
        if current is None:
            raise IllegalTransition("every question is answered; call finish()")
        if question_id != current.id:
            known = any(q.id == question_id for q in self._questions)
            what = "is not the current question" if known else "is not a question of this interview"
            raise WrongQuestion(f"question {question_id} {what} (current: {current.id})")
        return current

    async def _maybe_follow_up(self, question: Question, answer: Answer) -> None:
        left = self.spec.max_follow_ups - self.follow_ups_used(question.ordinal)
        if left <= 0:
            return
        request = FollowUpRequest.model_construct(  # every part is an already-validated record
            spec=self.spec, question=question, answer=answer, history=self._history(), follow_ups_left=left
        )
        try:
            with anyio.fail_after(self._ctx.follow_up_timeout_s):
                draft = await self._ctx.question_source.follow_up(request)
        except Exception:
            log.exception("question source %r failed on a follow-up; moving on", self._ctx.question_source_name)
            return
        if draft is None:
            return
        depth = max(q.depth for q in self._questions if q.ordinal == question.ordinal) + 1
        follow_up = Question(
            interview_id=self.id, ordinal=question.ordinal, depth=depth, kind="follow_up",
            text=draft.text.strip(), competency=draft.competency or question.competency, parent_id=question.id,
        )
        await self._ctx.store.add_question(follow_up, tenant=self.tenant)
        self._questions.append(follow_up)
        self._questions.sort(key=lambda q: q.sort_key)

    def _history(self) -> list[Turn]:
        return [Turn.model_construct(question=q, answer=self._answers.get(q.id)) for q in self._questions]

    async def _announce_current(self) -> Question | None:
        current = self.current_question
        if current is not None:
            await call_lifecycle(self._ctx.plugins, "after_question_asked", interview=self._interview,
                                 question=current)
        return current

    # emotions

    async def record_emotions(self, samples: Sequence[EmotionSample]) -> None:
        """Store emotion samples; only for interviews whose spec opted in to emotion analysis."""
        if not self.spec.emotion_analysis:
            raise IllegalTransition("emotion analysis is not enabled for this interview")
        if any(s.interview_id != self.id for s in samples):
            raise ValueError("emotion samples belong to another interview")
        await self._ctx.store.add_emotion_samples(list(samples), tenant=self.tenant)

    # pausing

    async def pause(self) -> None:
        """Hold the interview: no answer is accepted, from any session, until ``unpause``. Idempotent;
        IllegalTransition once the interview is finished. ``finish`` still works while paused."""
        await self._set_paused(True)

    async def unpause(self) -> None:
        """Accept answers again after ``pause``. Idempotent; IllegalTransition once finished."""
        await self._set_paused(False)

    async def _set_paused(self, paused: bool) -> None:
        async with self._lock:
            try:
                self._interview, changed = await self._ctx.store.set_paused(self.id, paused, tenant=self.tenant)
            except SessionError:
                await self._reload()
                raise
        if changed:
            hook = "on_session_paused" if paused else "on_session_unpaused"
            await call_lifecycle(self._ctx.plugins, hook, interview=self._interview)

    # finishing

    async def finish(self) -> None:
        """End the interview (unanswered questions stay unanswered). Idempotent. The report follows
        once pending evaluations settle; await it with ``report()``."""
        async with self._lock:
            self._interview = await self._ctx.store.finish_interview(self.id, utcnow(), tenant=self.tenant)
        await finalize(self._ctx, self.id)

    async def report(self, *, wait: bool = True, timeout: float = 600.0) -> Report:
        """The stored report. With ``wait``, poll until it exists (evaluations may still be running)."""
        if not self.finished:
            await self.refresh()  # another session may have finished it
        if not self.finished:
            raise ReportNotReady("the interview is not finished; call finish() first")
        delay, max_delay = REPORT_POLL_S
        with anyio.fail_after(timeout if wait else None):
            while True:
                report = await self._ctx.store.get_report(self.id, tenant=self.tenant)
                if report is not None:
                    return report
                if not wait:
                    raise ReportNotReady("evaluations are still pending")
                await anyio.sleep(delay)
                delay = min(delay * 2, max_delay)


async def _read(store: Store, interview_id: str, tenant: str) -> tuple[Interview, list[Question], list[Answer]]:
    """An interview with its questions and answers, as the tenant sees it."""
    interview = await store.get_interview(interview_id, tenant=tenant)
    return interview, await store.list_questions(interview_id, tenant=tenant), await store.list_answers(
        interview_id, tenant=tenant)


async def _plan_questions(ctx: SessionContext, interview: Interview) -> list[Question]:
    """Generated questions with the recruiter's custom ones woven in word for word: the interview opens
    with a generated question, then custom and generated alternate."""
    spec = interview.spec
    needed = spec.question_count - len(spec.custom_questions)
    drafts: list[QuestionDraft] = []
    if needed > 0:
        request = QuestionPlanRequest(spec=spec, count=needed, interview_id=interview.id,
                                      avoid=list(spec.custom_questions))
        try:
            async for draft in ctx.question_source.first_questions(request):
                drafts.append(draft)
                if len(drafts) == needed:
                    break
        except Exception as exc:
            raise ProviderError(
                f"question source {ctx.question_source_name!r} failed to plan questions: {exc}"
            ) from exc
        if len(drafts) < needed:
            log.warning("question source %r planned %d of %d questions", ctx.question_source_name,
                        len(drafts), needed)
    generated = [("generated", d.text.strip(), d.competency) for d in drafts]
    custom = [("custom", text.strip(), None) for text in spec.custom_questions]
    woven = (item for pair in zip_longest(custom, generated[1:]) for item in pair if item is not None)
    ordered = generated[:1] + list(woven)
    if not ordered:
        raise ProviderError(f"question source {ctx.question_source_name!r} planned no questions")
    return [
        Question(interview_id=interview.id, ordinal=i, kind=kind, text=text, competency=competency)
        for i, (kind, text, competency) in enumerate(ordered)
    ]


async def evaluate_answer(ctx: SessionContext, answer_id: str, evaluator: Evaluator, evaluator_name: str) -> None:
    """The evaluation job: score one answer unless already settled, record the result, finalize.

    Idempotent: a second run finds the evaluation settled and only re-checks the report. When the
    interview is deleted before or while the job runs, the job finds its evaluation gone and ends.
    """

    async def score(spec: InterviewSpec, question: Question, answer: Answer) -> Evaluation:
        return await _score(ctx, evaluator, evaluator_name, spec, question, answer)

    await _settle(ctx, answer_id, score)


async def abandon_evaluation(ctx: SessionContext, answer_id: str, reason: str) -> None:
    """Settle an answer's pending evaluation as failed with ``reason`` (its job gave up), then finalize, so
    the report is built. Idempotent, like ``evaluate_answer``."""

    async def fail(spec: InterviewSpec, question: Question, answer: Answer) -> Evaluation:
        return _failed(answer, ctx.evaluator_name, reason)

    await _settle(ctx, answer_id, fail)


async def _settle(
    ctx: SessionContext, answer_id: str, decide: Callable[[InterviewSpec, Question, Answer], Awaitable[Evaluation]]
) -> None:
    """Settle a pending evaluation with what ``decide`` returns (first settlement wins), then finalize; a
    deleted interview ends it quietly."""
    existing = await ctx.store.get_evaluation(answer_id)
    if existing is None:
        log.info("answer %s has no evaluation (its interview was deleted); nothing to do", answer_id)
        return
    try:
        if existing.status == "pending":
            answer = await ctx.store.get_answer(answer_id)
            interview = await ctx.store.get_interview(answer.interview_id)
            question = next(q for q in await ctx.store.list_questions(interview.id) if q.id == answer.question_id)
            evaluation = await decide(interview.spec, question, answer)
            if await ctx.store.settle_evaluation(evaluation):
                await call_lifecycle(ctx.plugins, "after_answer_evaluated", interview=interview, answer=answer,
                                     evaluation=evaluation)
        await finalize(ctx, existing.interview_id)
    except Exception:
        if await ctx.store.get_evaluation(answer_id) is None:
            log.info("the interview of answer %s was deleted during its evaluation; nothing to do", answer_id)
            return
        raise


async def _score(
    ctx: SessionContext, evaluator: Evaluator, name: str, spec: InterviewSpec, question: Question, answer: Answer
) -> Evaluation:
    """The evaluation to record: done with grounded scores, or failed with a reason the store can hold,
    whatever the evaluator returned or raised."""
    try:
        with anyio.fail_after(ctx.evaluation_timeout_s):
            grounded = await grade(evaluator, spec, question, answer)
        return Evaluation(answer_id=answer.id, interview_id=answer.interview_id, question_id=question.id,
                          evaluator=name, status="done", scores=grounded.scores, feedback=grounded.feedback,
                          flags=grounded.flags)
    except EvaluationFailed as exc:
        reason = str(exc)
    except TimeoutError:
        reason = f"evaluator timed out after {ctx.evaluation_timeout_s:g} s"
    except ValidationError as exc:
        reason = f"evaluator returned invalid scores: {validation_message(exc)}"
    except Exception as exc:
        log.exception("evaluator %r failed on answer %s", name, answer.id)
        reason = f"evaluator error: {error_summary(exc)}"
    return _failed(answer, name, reason)


def _failed(answer: Answer, evaluator: str | None, reason: str) -> Evaluation:
    """A failed evaluation; its reason is made storable whatever text it came from."""
    return Evaluation(answer_id=answer.id, interview_id=answer.interview_id, question_id=answer.question_id,
                      evaluator=evaluator, status="failed", reason=storable_text(reason)[:MAX_SUMMARY_CHARS])



async def finalize(ctx: SessionContext, interview_id: str) -> Report | None:
    """Build and store the report if the interview is finished and no evaluation is pending."""
    interview = await ctx.store.get_interview(interview_id)
    if interview.state != "finished":
        return None
    evaluations = await ctx.store.list_evaluations(interview_id)
    if any(e.status == "pending" for e in evaluations):
        return None
    existing = await ctx.store.get_report(interview_id)
    if existing is not None:
        return existing
    report = build_report(
        interview,
        await ctx.store.list_questions(interview_id),
        await ctx.store.list_answers(interview_id),
        evaluations,
        await ctx.store.list_emotion_samples(interview_id) if interview.spec.emotion_analysis else (),
        evaluator_configured=ctx.evaluator is not None or bool(evaluations),
    )
    if await ctx.store.save_report(report):
        await call_lifecycle(ctx.plugins, "on_session_finished", interview=interview, report=report)
    return report
