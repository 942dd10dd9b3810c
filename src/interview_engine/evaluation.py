"""The evaluation job: score one answer, settle its pending evaluation, then finalize the report.

    job: evaluate -> check evidence -> settle evaluation -> after_answer_evaluated -> finalize
         (a job that gives up settles the evaluation as failed instead, and finalizes the same way)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
from pydantic import ValidationError

from .context import SessionContext
from .errors import MAX_SUMMARY_CHARS, EvaluationFailed, error_summary, validation_message
from .finalization import finalize
from .grounding import grade
from .models import Answer, Evaluation, InterviewSpec, Question
from .plugins import call_lifecycle
from .providers import Evaluator
from .store.base import load_interview
from .text import storable_text

log = logging.getLogger(__name__)


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
            interview, questions, answers = await load_interview(ctx.store, existing.interview_id)
            answer = next(a for a in answers if a.id == answer_id)
            question = next(q for q in questions if q.id == answer.question_id)
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
