"""One interview as a state machine, and the one place that reads as the order of events. The order is
decided by the store (``order.py``'s rules, checked in the transaction that writes), so several sessions,
in several processes, may serve one interview; a session refused by the store reloads its view.

    start: the opener, and as much of the plan as came within its budget (``planning.py``) -> store
            interview + questions + planning job -> enqueue job -> on_session_started
            -> the evaluator prepares for the question, in the background (``preparation.py``)
            -> after_question_asked
    plan job (``planning.py``, in the background): the rest of the plan, stored place by place
    answer: check -> store answer + pending evaluation + job (one transaction that holds the interview
            and checks the question is current) -> enqueue job, after_answer_recorded, and meanwhile the
            follow-up decision, within its budget -> follow-up? (stored if in order and on time)
            -> next planned question (waiting for the plan job briefly, else from the bank)
            -> the evaluator prepares for it, in the background -> after_question_asked(next)
    pause / unpause: state held in the store -> on_session_paused / on_session_unpaused
    job (``evaluation.py``, in the background): evaluate -> settle evaluation -> after_answer_evaluated
            -> finalize
    finish: mark finished -> finalize
    finalize (``finalization.py``, after finish and after each settled evaluation): when finished and
            nothing is pending, build and store the report once -> on_session_finished
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
from pydantic import ValidationError

from .context import SessionContext
from .errors import (
    IllegalTransition,
    InvalidAnswer,
    InvalidSample,
    InvalidSpec,
    ReportNotReady,
    SessionError,
    validation_message,
)
from .finalization import finalize
from .injection import screen_answer
from .jobs.base import evaluation_job
from .jobs.outbox import hand_over
from .models import (
    MAX_ANSWER_CHARS,
    Answer,
    AnswerSource,
    EmotionSample,
    FollowUpRequest,
    Interview,
    InterviewSpec,
    InterviewState,
    Question,
    QuestionDraft,
    Report,
    TranscriptSegment,
    Turn,
    check_text,
    revalidated,
    utcnow,
)
from .order import Slot, check_answer
from .planning import fill_next, is_planned, opening, planning_job
from .plugins import call_lifecycle
from .store.base import load_interview

log = logging.getLogger(__name__)

REPORT_POLL_S = (0.02, 0.5)
PLAN_POLL_S = 0.05
FOLLOW_UP_SKIPPED = "the follow-up decision for question %s ran past its %g s budget; the interview moved on"


@dataclass
class _Decision:
    """A follow-up decision in progress: the source's draft, and when the store stops accepting it."""

    deadline: datetime
    draft: QuestionDraft | None = None


def screened_turns(turns: list[Turn]) -> list[Turn]:
    """``turns`` with each answer's text screened (``injection.screen_answer``): what question sources are
    sent, so text addressed to the grader cannot steer a follow-up either. Up to a few hundred ms for the
    longest answers: async callers run it in a worker thread."""
    return [
        t if t.answer is None else Turn.model_construct(
            question=t.question, answer=t.answer.model_copy(update={"text": screen_answer(t.answer.text).content}))
        for t in turns
    ]


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
        questions = await opening(ctx, interview, ctx.first_question_budget_s)
        job = None if is_planned(spec, questions) else planning_job(interview.id)
        await ctx.store.create_interview(interview, questions, job)
        if job is not None:
            await hand_over(ctx.jobs, job)
        session = cls(ctx, interview, questions, [])
        await call_lifecycle(ctx.plugins, "on_session_started", interview=interview, questions=questions)
        await session._announce_current()
        return session

    @classmethod
    async def load(cls, ctx: SessionContext, interview_id: str, *, tenant: str) -> Session:
        """The tenant's interview from the store; InterviewNotFound for a missing or foreign one. When its
        candidate had got ahead of the plan and the answering process stopped before the next place was
        filled, the place is filled as that answer would have (``plan_wait_s`` for the planning job, then
        the bank), so a resumed interview always has its current question."""
        session = cls(ctx, *await load_interview(ctx.store, interview_id, tenant=tenant))
        await session._await_plan(anyio.current_time() + ctx.plan_wait_s)
        return session

    async def refresh(self) -> None:
        """Reload state, questions and answers from the store: another session or process may have moved
        the interview on. A refused answer or pause refreshes the session by itself."""
        async with self._lock:
            await self._reload()

    async def _reload(self) -> None:
        self._interview, questions, answers = await load_interview(self._ctx.store, self.id,
                                                                              tenant=self.tenant)
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
                    duration_s=duration_s, segments=revalidated(segments, TranscriptSegment),
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
            stored = anyio.current_time()
            decision = _Decision(deadline=utcnow() + timedelta(seconds=self._ctx.follow_up_budget_s))
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._decide_follow_up, question, answer, decision)
                if job is not None:
                    await hand_over(self._ctx.jobs, job)
                await call_lifecycle(
                    self._ctx.plugins, "after_answer_recorded", interview=self._interview, question=question,
                    answer=answer,
                )
            if decision.draft is not None:
                await self._add_follow_up(question, decision)
            await self._await_plan(stored + self._ctx.plan_wait_s)
            return await self._announce_current()

    def _check_answerable(self, question_id: str) -> Question:
        """The question to answer, by the store's rules applied to this session's view."""
        slots = [Slot(id=q.id, ordinal=q.ordinal, depth=q.depth, answered=q.id in self._answers)
                 for q in self._questions]
        check_answer(self.state, slots, question_id)
        return next(q for q in self._questions if q.id == question_id)

    async def _decide_follow_up(self, question: Question, answer: Answer, decision: _Decision) -> None:
        """Ask the source for a follow-up, within the budget that started when the answer was stored; a
        decision not made in time is dropped."""
        left = self.spec.max_follow_ups - self.follow_ups_used(question.ordinal)
        if left <= 0:
            return
        with anyio.move_on_after(self._ctx.follow_up_budget_s) as scope:
            history = await anyio.to_thread.run_sync(screened_turns, self._history())
            screened = next(t.answer for t in history if t.answer is not None and t.answer.id == answer.id)
            if not screened.text.strip():
                return  # only text addressed to the grader: nothing to follow up on
            request = FollowUpRequest.model_construct(  # every part is an already-validated record
                spec=self.spec, question=question, answer=screened, history=history, follow_ups_left=left
            )
            try:
                decision.draft = await self._ctx.question_source.follow_up(request)
            except Exception:
                log.exception("question source %r failed on a follow-up; moving on", self._ctx.question_source_name)
        if scope.cancelled_caught:
            log.info(FOLLOW_UP_SKIPPED, question.id, self._ctx.follow_up_budget_s)

    async def _add_follow_up(self, question: Question, decision: _Decision) -> None:
        assert decision.draft is not None
        depth = max(q.depth for q in self._questions if q.ordinal == question.ordinal) + 1
        follow_up = Question(
            interview_id=self.id, ordinal=question.ordinal, depth=depth, kind="follow_up",
            text=decision.draft.text.strip(), competency=decision.draft.competency or question.competency,
            parent_id=question.id,
        )
        try:
            await self._ctx.store.add_question(follow_up, tenant=self.tenant, not_after=decision.deadline)
        except SessionError as exc:  # another session moved the interview on meanwhile, or it came late
            log.info("follow-up to question %s not added: %s", question.id, exc)
            await self._catch_up()
            return
        except Exception:  # the answer is stored: a follow-up that cannot be is skipped, as a failed source's
            log.exception("could not store the follow-up to question %s; moving on", question.id)
            return
        self._questions.append(follow_up)
        self._questions.sort(key=lambda q: q.sort_key)

    async def _await_plan(self, deadline: float) -> None:
        """When every stored question is answered but the plan is not complete (the candidate got ahead of
        the planning job), wait for the job until ``deadline`` (``plan_wait_s`` after the answer was stored,
        overlapping the follow-up decision's wait, or after a load), then fill the place without it."""
        if self.current_question is not None or self.finished or is_planned(self.spec, self._questions):
            return
        with anyio.CancelScope(deadline=deadline):
            while self.current_question is None and not self.finished:
                await anyio.sleep(PLAN_POLL_S)
                await self._catch_up()
        if self.current_question is None and not self.finished:
            await fill_next(self._ctx, self._interview, self._questions)
            await self._catch_up()

    async def _catch_up(self) -> None:
        """Reload once the store refused a follow-up: another session moved on while it was decided. The
        answer is committed, so a store that cannot be read now only leaves this view as it is (the next
        refusal reloads it)."""
        try:
            await self._reload()
        except Exception:
            log.warning("could not reload interview %s after an answer; using this session's view", self.id,
                        exc_info=True)

    def _history(self) -> list[Turn]:
        """The questions so far with their answers, as stored."""
        return [Turn.model_construct(question=q, answer=self._answers.get(q.id)) for q in self._questions]

    async def _announce_current(self) -> Question | None:
        current = self.current_question
        if current is not None:
            if self._ctx.preparations is not None:  # in the background: nobody waits for it
                self._ctx.preparations.start(self.spec, current)
            await call_lifecycle(self._ctx.plugins, "after_question_asked", interview=self._interview,
                                 question=current)
        return current

    # emotions

    async def record_emotions(self, samples: Sequence[EmotionSample]) -> None:
        """Store emotion samples; only for interviews whose spec opted in to emotion analysis."""
        if not self.spec.emotion_analysis:
            raise IllegalTransition("emotion analysis is not enabled for this interview")
        try:
            checked = revalidated(samples, EmotionSample)
        except ValidationError as exc:
            raise InvalidSample(f"invalid emotion sample: {validation_message(exc)}") from exc
        if any(s.interview_id != self.id for s in checked):
            raise InvalidSample("emotion samples belong to another interview")
        await self._ctx.store.add_emotion_samples(checked, tenant=self.tenant)

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


