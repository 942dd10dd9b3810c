"""Report finalisation: once an interview is finished and no evaluation is pending, build and store its
report once, then ``on_session_finished``. It runs after ``finish`` and after each settled evaluation;
both write first and read second, so whichever comes last sees the other's write and builds the report."""

from __future__ import annotations

from .context import SessionContext
from .models import Report
from .plugins import call_lifecycle
from .report import build_report


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
