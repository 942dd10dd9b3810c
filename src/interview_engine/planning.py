"""Progressive planning: the interview opens without waiting for the model; the rest of the plan follows.

    start: the source's plan, for at most ``first_question_budget_s``; the opener is the model's first
           question when it came in time, else the first custom question, else one from the built-in bank
           -> the questions so far and, if the plan is incomplete, the planning job, stored together
    job:   each missing place in order: its custom question, or the source's next draft (the bank's when
           the source fails) -> ``store.add_question``, which refuses a place already taken
    gap:   a candidate who reaches a place before the job fills it waits ``plan_wait_s`` at most, then the
           session fills it from the custom questions or the bank (the job then finds the place taken)

The places of an interview follow from its spec and the kind of its opener (``places``), so the job,
the session and any other process agree on what each place holds. Bank questions keep the kind
``bank``; the report counts them and says why they are there.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager

import anyio

from .builtin.question_bank import default_bank, plan
from .context import SessionContext
from .errors import IllegalTransition, InterviewNotFound, error_summary
from .models import Interview, InterviewSpec, Question, QuestionDraft, QuestionKind, QuestionPlanRequest
from .store.base import JobRecord

log = logging.getLogger(__name__)

PLAN_QUESTIONS = "plan_questions"

Place = str | None
"""What a planned place holds: a custom question's text, or None for a generated question."""


def planning_job(interview_id: str) -> JobRecord:
    """The job that plans the rest of an interview; one per interview."""
    return JobRecord(key=f"{PLAN_QUESTIONS}:{interview_id}", name=PLAN_QUESTIONS,
                     payload={"interview_id": interview_id})


def places(spec: InterviewSpec, *, custom_first: bool) -> list[Place]:
    """The interview's planned places: generated questions and the recruiter's custom ones alternate,
    opening with a generated question unless ``custom_first`` (the model's opener was not ready)."""
    custom: list[Place] = [text.strip() for text in spec.custom_questions]
    generated: list[Place] = [None] * (spec.question_count - len(custom))
    lead = not custom_first and bool(generated)
    order: list[Place] = [None] if lead else []
    rest = generated[1:] if lead else generated
    for i in range(max(len(custom), len(rest))):
        order += custom[i:i + 1] + rest[i:i + 1]
    return order


def places_of(spec: InterviewSpec, questions: list[Question]) -> list[Place]:
    """The places of a started interview: its opener's kind tells which way they alternate."""
    opener = next((q for q in questions if q.ordinal == 0 and q.depth == 0), None)
    return places(spec, custom_first=opener is not None and opener.kind == "custom")


def is_planned(spec: InterviewSpec, questions: list[Question]) -> bool:
    """Whether every planned place holds a question."""
    return sum(1 for q in questions if q.depth == 0) >= spec.question_count


async def opening(ctx: SessionContext, interview: Interview, budget_s: float) -> list[Question]:
    """The first questions of a new interview: as much of the plan as the source gives within
    ``budget_s`` (the whole plan from a fast source), and never less than an opener."""
    spec = interview.spec
    needed = spec.question_count - len(spec.custom_questions)
    drafts: list[QuestionDraft] = []
    if needed > 0:
        request = QuestionPlanRequest(spec=spec, count=needed, interview_id=interview.id,
                                      avoid=list(spec.custom_questions))
        with anyio.move_on_after(budget_s):
            try:
                async with _closing(ctx.question_source.first_questions(request)) as stream:
                    async for draft in stream:
                        drafts.append(draft)
                        if len(drafts) == needed:
                            break
            except Exception as exc:
                log.warning("question source %r failed to plan interview %s (%s); the bank fills in",
                            ctx.question_source_name, interview.id, error_summary(exc))
    layout = places(spec, custom_first=not drafts and bool(spec.custom_questions))
    questions: list[Question] = []
    for ordinal, place in enumerate(layout):
        if place is not None:
            questions.append(Question(interview_id=interview.id, ordinal=ordinal, kind="custom", text=place))
        elif drafts:
            questions.append(_question(interview, ordinal, "generated", drafts.pop(0)))
        elif ordinal == 0:
            questions.append(bank_question(interview, ordinal, []))
        else:
            break
    return questions


async def plan_rest(ctx: SessionContext, interview_id: str, *, use_source: bool = True) -> None:
    """The planning job: store a question in each missing place, in order, until the plan is complete or
    the interview is finished. Idempotent: a second run (after a crash) plans only what is missing. With
    ``use_source`` False (the job gave up) the bank fills every missing place."""
    try:
        interview = await ctx.store.get_interview(interview_id)
    except InterviewNotFound:
        log.info("interview %s was deleted before its plan was complete; nothing to do", interview_id)
        return
    questions = await ctx.store.list_questions(interview_id)
    layout = places_of(interview.spec, questions)
    planned = {q.ordinal for q in questions if q.depth == 0}
    missing = sum(1 for i, place in enumerate(layout) if place is None and i not in planned)
    drafts = _drafts(ctx, interview, questions, missing if use_source else 0)
    async with aclosing(drafts):
        for ordinal, place in enumerate(layout):
            if ordinal in planned:
                continue
            if place is not None:
                question = Question(interview_id=interview_id, ordinal=ordinal, kind="custom", text=place)
            else:
                try:
                    question = _question(interview, ordinal, "generated", await anext(drafts))
                except StopAsyncIteration:  # the source gave fewer than asked for, or failed
                    question = bank_question(interview, ordinal, [q.text for q in questions])
            try:
                await ctx.store.add_question(question)
            except InterviewNotFound:
                log.info("interview %s was deleted while its plan was made; nothing to do", interview_id)
                return
            except IllegalTransition as exc:  # the session filled the place, or the interview is finished
                log.info("planned question %d of interview %s not added: %s", ordinal, interview_id, exc)
                questions = await ctx.store.list_questions(interview_id)
                if is_planned(interview.spec, questions) or (
                        await ctx.store.get_interview(interview_id)).state == "finished":
                    return  # nothing left to plan: stop the source rather than generate for nothing
                continue
            questions.append(question)


async def fill_next(ctx: SessionContext, interview: Interview, questions: list[Question]) -> None:
    """Fill the next missing place now (the candidate got there before the plan did): its custom question,
    else one from the bank. A place the job filled meanwhile is left as it is."""
    layout = places_of(interview.spec, questions)
    ordinal = 1 + max((q.ordinal for q in questions), default=-1)
    if ordinal >= len(layout):
        return
    place = layout[ordinal]
    question = Question(interview_id=interview.id, ordinal=ordinal, kind="custom", text=place) \
        if place is not None else bank_question(interview, ordinal, [q.text for q in questions])
    try:
        await ctx.store.add_question(question, tenant=interview.tenant_id)
    except IllegalTransition as exc:
        log.info("question %d of interview %s not filled from the bank: %s", ordinal, interview.id, exc)


def bank_question(interview: Interview, ordinal: int, asked: list[str]) -> Question:
    """A question from the built-in bank that fits the role and level and was not asked yet."""
    spec = interview.spec
    avoid = {*asked, *spec.custom_questions}
    seed = f"{interview.id}:{ordinal}"
    [pick] = plan(default_bank(), spec.role, spec.level, 1, seed=seed, avoid=avoid) or plan(
        default_bank(), spec.role, spec.level, 1, seed=seed, avoid=set())  # every bank question was asked
    return Question(interview_id=interview.id, ordinal=ordinal, kind="bank", text=pick.text[spec.language],
                    competency=pick.competency)


async def _drafts(
    ctx: SessionContext, interview: Interview, questions: list[Question], count: int
) -> AsyncGenerator[QuestionDraft]:
    """The source's drafts for ``count`` places; ends early when the source fails (the bank fills in)."""
    if count == 0:
        return
    request = QuestionPlanRequest(spec=interview.spec, count=count, interview_id=interview.id,
                                  avoid=[*interview.spec.custom_questions, *(q.text for q in questions)])
    try:
        async with _closing(ctx.question_source.first_questions(request)) as stream:
            async for draft in stream:
                yield draft
    except Exception as exc:
        log.warning("question source %r failed to plan interview %s (%s); the bank fills in",
                    ctx.question_source_name, interview.id, error_summary(exc))


@asynccontextmanager
async def _closing(stream: AsyncIterator[QuestionDraft]) -> AsyncIterator[AsyncIterator[QuestionDraft]]:
    """Close a source's stream when planning stops early (an LLM source then stops generating)."""
    try:
        yield stream
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def _question(interview: Interview, ordinal: int, kind: QuestionKind, draft: QuestionDraft) -> Question:
    return Question(interview_id=interview.id, ordinal=ordinal, kind=kind, text=draft.text.strip(),
                    competency=draft.competency)
