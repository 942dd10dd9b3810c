"""The server's record of each interview beside the SDK's: tenant, creator, the candidate token version
(bumping it revokes every candidate token of the interview), time limit and accommodations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t
from .clock import utcnow
from .db import reads

INTERVIEW_CHILD_TABLES = (t.consents, t.drafts, t.answer_timings, t.score_overrides)
"""Server tables whose rows belong to one interview and go with it."""


@dataclass(frozen=True)
class InterviewRecord:
    interview_id: str
    tenant_id: str
    created_by: str
    external_ref: str | None
    token_version: int
    time_limit_s: int | None
    extra_time_s: int
    no_time_limit: bool
    clock_question_id: str | None
    clock_started_at: datetime | None
    clock_paused_at: datetime | None
    clock_paused_s: float
    consented_at: datetime | None
    created_at: datetime

    @property
    def question_limit_s(self) -> int | None:
        """Seconds allowed per question with accommodations, or None for no limit."""
        if self.no_time_limit or self.time_limit_s is None:
            return None
        return self.time_limit_s + self.extra_time_s


_RECORD = sa.select(t.interviews).where(t.interviews.c.interview_id == sa.bindparam("interview_id"),
                                        t.interviews.c.tenant_id == sa.bindparam("tenant_id"))
"""Read on every interview route: built once, so SQLAlchemy neither rebuilds nor re-keys it per request."""


class InterviewRecords:
    def __init__(self, db: AsyncEngine) -> None:
        self._db = db

    async def create(self, *, interview_id: str, tenant_id: str, created_by: str, external_ref: str | None,
                     time_limit_s: int | None, extra_time_s: int, no_time_limit: bool) -> InterviewRecord:
        values = {
            "interview_id": interview_id, "tenant_id": tenant_id, "created_by": created_by,
            "external_ref": external_ref, "token_version": 1, "time_limit_s": time_limit_s,
            "extra_time_s": extra_time_s, "no_time_limit": no_time_limit, "clock_question_id": None,
            "clock_started_at": None, "clock_paused_at": None, "clock_paused_s": 0.0, "consented_at": None,
            "created_at": utcnow(),
        }
        async with self._db.begin() as conn:
            await conn.execute(t.interviews.insert(), values)
        return InterviewRecord(**values)  # type: ignore[arg-type]

    async def get(self, interview_id: str, tenant_id: str) -> InterviewRecord | None:
        """The record of this tenant's interview; None for a missing one or another tenant's."""
        async with reads(self._db).connect() as conn:
            result = await conn.execute(_RECORD, {"interview_id": interview_id, "tenant_id": tenant_id})
            row = result.mappings().first()
        return InterviewRecord(**row) if row is not None else None

    async def tenant_of(self, interview_id: str) -> str | None:
        query = sa.select(t.interviews.c.tenant_id).where(t.interviews.c.interview_id == interview_id)
        async with reads(self._db).connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def revoke_candidate_tokens(self, interview_id: str, tenant_id: str) -> int:
        """Invalidate every candidate token issued so far; returns the new version."""
        mine = (t.interviews.c.interview_id == interview_id) & (t.interviews.c.tenant_id == tenant_id)
        async with self._db.begin() as conn:
            await conn.execute(t.interviews.update().where(mine)
                               .values(token_version=t.interviews.c.token_version + 1))
            return int((await conn.execute(sa.select(t.interviews.c.token_version).where(mine))).scalar_one())

    async def delete(self, interview_id: str, tenant_id: str) -> None:
        """Remove the record and every server row that belongs to the interview, in one transaction."""
        owned = sa.exists().where(t.interviews.c.interview_id == interview_id, t.interviews.c.tenant_id == tenant_id)
        async with self._db.begin() as conn:
            for table in INTERVIEW_CHILD_TABLES:
                await conn.execute(table.delete().where(table.c.interview_id == interview_id, owned))
            await conn.execute(t.interviews.delete().where(t.interviews.c.interview_id == interview_id,
                                                           t.interviews.c.tenant_id == tenant_id))
