"""Drive whole interviews in tests and benchmarks."""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..session import Session

ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."


async def sit_interview(
    engine: Engine, spec: dict[str, Any], *, tenant: str | None = None, answers: int | None = None,
    finish: bool = True, answer: str = ANSWER,
) -> Session:
    """Start an interview and answer its questions (all, or the first ``answers``); with ``finish``, finish
    it and wait for its report."""
    session = await engine.start(spec, tenant=tenant)
    while (question := session.current_question) is not None and (answers is None or len(session.answers) < answers):
        await session.answer(question.id, answer)
    if finish:
        await session.finish()
        await session.report(timeout=30)
    return session
