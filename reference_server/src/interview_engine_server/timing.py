"""The per-question clock: when the current question was first shown to a consenting candidate, time spent
paused, the limit with accommodations, and how long each answer took.

An answer that arrives after the limit is still stored (an answer is never lost); its timing says it ran
over, for the recruiter to weigh. The widget submits the draft when the time is up.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from . import tables as t
from .db import dialect_insert, reads
from .records import InterviewRecord

GRACE_S = 5.0
"""Slack for network delay before an answer counts as over the limit."""


class QuestionClock(BaseModel):
    """Time on the current question as the candidate sees it."""

    limit_s: int | None
    elapsed_s: float
    remaining_s: float | None
    deadline_at: datetime | None
    """When time runs out, unless the interview is paused (then the deadline moves)."""
    paused: bool


class AnswerTiming(BaseModel):
    seconds_taken: float
    limit_s: float | None
    over_limit: bool


_MINE = t.interviews.c.interview_id == sa.bindparam("b_interview")
_SHOW = (t.interviews.update()
         .where(_MINE, sa.or_(t.interviews.c.clock_question_id.is_(None),
                              t.interviews.c.clock_question_id != sa.bindparam("b_question")))
         .values(clock_question_id=sa.bindparam("b_question"), clock_paused_s=0.0,
                 clock_started_at=sa.bindparam("b_now", type_=t.UTC_TIME),
                 clock_paused_at=sa.bindparam("b_paused_at", type_=t.UTC_TIME))
         .returning(*t.interviews.c))
_RECORD = sa.select(t.interviews).where(_MINE)
"""Built once (they run on every answer and first showing): SQLAlchemy neither rebuilds nor re-keys them."""


@functools.cache
def _insert_timing(dialect: str) -> sa.Insert:
    insert: sa.Insert = dialect_insert(dialect)(t.answer_timings).on_conflict_do_nothing()
    return insert


async def show_in(conn: AsyncConnection, record: InterviewRecord, question_id: str, now: datetime) -> InterviewRecord:
    """In the caller's transaction: start the clock for ``question_id`` unless it already runs for it
    (first showing wins)."""
    if record.clock_question_id == question_id:
        return record
    params = {"b_interview": record.interview_id, "b_question": question_id, "b_now": now,
              "b_paused_at": record.clock_paused_at and now}
    row = (await conn.execute(_SHOW, params)).mappings().first()
    if row is None:  # another request showed it first: its start stands
        row = (await conn.execute(_RECORD, params)).mappings().one()
    return InterviewRecord(**row)


async def record_timing(conn: AsyncConnection, record: InterviewRecord, question_id: str,
                        now: datetime) -> AnswerTiming:
    """In the caller's transaction: store how long the answer to ``question_id`` took (idempotent per
    question: an earlier attempt's timing stands)."""
    clock = reading(record, now) if record.clock_question_id == question_id else None
    limit = record.question_limit_s
    taken = clock.elapsed_s if clock is not None else 0.0
    timing = AnswerTiming(seconds_taken=round(taken, 3), limit_s=limit,
                          over_limit=limit is not None and taken > limit + GRACE_S)
    await conn.execute(_insert_timing(conn.dialect.name),
                       {"interview_id": record.interview_id, "question_id": question_id, **timing.model_dump()})
    return timing


@dataclass(frozen=True)
class Clock:
    """Reads and moves the clock of an interview's record."""

    db: AsyncEngine

    async def show(self, record: InterviewRecord, question_id: str, now: datetime) -> InterviewRecord:
        """Start the clock for ``question_id`` unless it already runs for it (first showing wins)."""
        if record.clock_question_id == question_id:
            return record
        async with self.db.begin() as conn:
            return await show_in(conn, record, question_id, now)

    async def pause(self, record: InterviewRecord, now: datetime) -> None:
        async with self.db.begin() as conn:
            await conn.execute(t.interviews.update()
                               .where(t.interviews.c.interview_id == record.interview_id,
                                      t.interviews.c.clock_paused_at.is_(None))
                               .values(clock_paused_at=now))

    async def resume(self, record: InterviewRecord, now: datetime) -> None:
        if record.clock_paused_at is None:
            return
        paused_s = record.clock_paused_s + max(0.0, (now - record.clock_paused_at).total_seconds())
        async with self.db.begin() as conn:
            await conn.execute(t.interviews.update()
                               .where(t.interviews.c.interview_id == record.interview_id,
                                      t.interviews.c.clock_paused_at == record.clock_paused_at)
                               .values(clock_paused_at=None, clock_paused_s=paused_s))

    async def timings(self, interview_id: str) -> dict[str, AnswerTiming]:
        query = sa.select(t.answer_timings).where(t.answer_timings.c.interview_id == interview_id)
        async with reads(self.db).connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return {r["question_id"]: AnswerTiming(seconds_taken=r["seconds_taken"], limit_s=r["limit_s"],
                                               over_limit=r["over_limit"]) for r in rows}


def reading(record: InterviewRecord, now: datetime) -> QuestionClock:
    """The clock of the record's current question at ``now``."""
    started = record.clock_started_at or now
    until = record.clock_paused_at or now
    elapsed = max(0.0, (until - started).total_seconds() - record.clock_paused_s)
    limit = record.question_limit_s
    remaining = None if limit is None else max(0.0, limit - elapsed)
    paused = record.clock_paused_at is not None
    deadline = None if remaining is None or paused else now + timedelta(seconds=remaining)
    return QuestionClock(limit_s=limit, elapsed_s=round(elapsed, 3), remaining_s=remaining, deadline_at=deadline,
                         paused=paused)

