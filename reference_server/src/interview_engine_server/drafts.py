"""The answer in progress, saved as the candidate types, so a reconnect or a reload loses nothing.
One draft per interview, for the current question; it is cleared when that question is answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t
from .clock import utcnow
from .db import reads
from .fields import RecordId, SafeText

MAX_DRAFT_CHARS = 20_000


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: RecordId
    text: Annotated[SafeText, Field(max_length=MAX_DRAFT_CHARS)]


class Draft(BaseModel):
    question_id: str
    text: str
    updated_at: datetime


class Drafts:
    def __init__(self, db: AsyncEngine) -> None:
        self._db = db

    async def save(self, interview_id: str, request: DraftRequest) -> Draft:
        draft = Draft(question_id=request.question_id, text=request.text, updated_at=utcnow())
        mine = t.drafts.c.interview_id == interview_id
        async with self._db.begin() as conn:
            updated = await conn.execute(t.drafts.update().where(mine).values(**draft.model_dump()))
            if updated.rowcount == 0:
                try:
                    async with conn.begin_nested():
                        await conn.execute(t.drafts.insert(), {"interview_id": interview_id, **draft.model_dump()})
                except IntegrityError:  # another request inserted first: last writer wins
                    await conn.execute(t.drafts.update().where(mine).values(**draft.model_dump()))
        return draft

    async def get(self, interview_id: str, question_id: str | None) -> Draft | None:
        """The draft for ``question_id`` (a draft for an earlier question is stale and not returned)."""
        if question_id is None:
            return None
        query = sa.select(t.drafts).where(t.drafts.c.interview_id == interview_id,
                                          t.drafts.c.question_id == question_id)
        async with reads(self._db).connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else Draft(question_id=row["question_id"], text=row["text"],
                                              updated_at=row["updated_at"])

    async def clear(self, interview_id: str, question_id: str) -> None:
        async with self._db.begin() as conn:
            await conn.execute(t.drafts.delete().where(t.drafts.c.interview_id == interview_id,
                                                       t.drafts.c.question_id == question_id))
