"""Human score overrides: a reviewer's score with a mandatory reason, kept beside the model's score.
Append-only; the latest per dimension (None: the overall score) is in force."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t
from .clock import utcnow
from .db import reads
from .fields import SafeText


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("a reason is required")
    return value


class OverrideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")] | None = Field(
        None, description="A rubric dimension key; omit for the overall score.")
    score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    reason: Annotated[SafeText, Field(min_length=1, max_length=2000), AfterValidator(_not_blank)]


class ScoreOverride(BaseModel):
    id: str
    dimension: str | None
    model_score: float | None = Field(description="The model's score when the override was made.")
    human_score: float
    reason: str
    account_id: str
    created_at: datetime


class Overrides:
    def __init__(self, db: AsyncEngine) -> None:
        self._db = db

    async def add(self, *, interview_id: str, tenant_id: str, account_id: str, request: OverrideRequest,
                  model_score: float | None) -> ScoreOverride:
        override = ScoreOverride(id=secrets.token_hex(16), dimension=request.dimension, model_score=model_score,
                                 human_score=request.score, reason=request.reason, account_id=account_id,
                                 created_at=utcnow())
        async with self._db.begin() as conn:
            await conn.execute(t.score_overrides.insert(),
                               {"interview_id": interview_id, "tenant_id": tenant_id, **override.model_dump()})
        return override

    async def history(self, interview_id: str, tenant_id: str) -> list[ScoreOverride]:
        """Every override of the interview, oldest first."""
        query = (sa.select(t.score_overrides)
                 .where(t.score_overrides.c.interview_id == interview_id, t.score_overrides.c.tenant_id == tenant_id)
                 .order_by(t.score_overrides.c.created_at, t.score_overrides.c.id))
        async with reads(self._db).connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [ScoreOverride.model_validate({k: r[k] for k in ScoreOverride.model_fields}) for r in rows]

    async def overall(self, tenant_id: str, interview_ids: list[str]) -> dict[str, float]:
        """The human overall score in force for each of these interviews that has one."""
        if not interview_ids:
            return {}
        query = (sa.select(t.score_overrides.c.interview_id, t.score_overrides.c.human_score)
                 .where(t.score_overrides.c.tenant_id == tenant_id,
                        t.score_overrides.c.interview_id.in_(interview_ids),
                        t.score_overrides.c.dimension.is_(None))
                 .order_by(t.score_overrides.c.created_at, t.score_overrides.c.id))
        async with reads(self._db).connect() as conn:
            rows = (await conn.execute(query)).all()
        return {interview_id: score for interview_id, score in rows}  # later rows win


def in_force(overrides: list[ScoreOverride]) -> dict[str | None, ScoreOverride]:
    """The latest override per dimension (None: overall) from a list in creation order."""
    return {o.dimension: o for o in overrides}
