"""The answer in progress, saved as the candidate types, so a reconnect or a reload loses nothing.
One draft per interview, for the current question; it is cleared when that question is answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from . import tables as t
from .clock import utcnow
from .db import reads, replacing_insert
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
        """Replace the interview's draft (one statement: the last writer wins)."""
        draft = Draft(question_id=request.question_id, text=request.text, updated_at=utcnow())
        async with self._db.begin() as conn:
            await conn.execute(replacing_insert(conn.dialect.name, t.drafts, "interview_id"),
                               {"interview_id": interview_id, **draft.model_dump()})
        return draft

    async def get(self, interview_id: str, question_id: str | None) -> Draft | None:
        """The draft for ``question_id`` (a draft for an earlier question is stale and not returned)."""
        if question_id is None:
            return None
        async with reads(self._db).connect() as conn:
            params = {"b_interview": interview_id, "b_question": question_id}
            row = (await conn.execute(_GET, params)).mappings().first()
        return None if row is None else Draft(question_id=row["question_id"], text=row["text"],
                                              updated_at=row["updated_at"])


_THIS_DRAFT = (t.drafts.c.interview_id == sa.bindparam("b_interview"),
               t.drafts.c.question_id == sa.bindparam("b_question"))
_GET = sa.select(t.drafts).where(*_THIS_DRAFT)
_CLEAR = t.drafts.delete().where(*_THIS_DRAFT)
"""Built once (they run on most candidate requests): SQLAlchemy neither rebuilds nor re-keys them."""


async def clear_draft(conn: AsyncConnection, interview_id: str, question_id: str) -> None:
    """In the caller's transaction: drop the draft of ``question_id`` (it has been answered)."""
    await conn.execute(_CLEAR, {"b_interview": interview_id, "b_question": question_id})

