"""A candidate's consent, recorded with its time, address and exactly the notice they agreed to.

Consent is append-only: a change of mind is a new row; the latest row is in force. Emotion analysis is a
separate opt-in, offered only when the interview's spec enables it; the live media code reads
``Consents.latest`` before analysing any frame.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t
from .clock import utcnow
from .db import reads


class ConsentRequest(BaseModel):
    """What the candidate agrees to. ``notice_sha256`` names the notice text shown (from the state)."""

    model_config = ConfigDict(extra="forbid")

    accept: bool = Field(description="Agree to the notice; must be true.")
    notice_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="`consent_notice.sha256` from the state.")
    recording: bool = Field(False, description="Record the candidate's voice.")
    transcription: bool = Field(False, description="Transcribe speech to text.")
    emotion_analysis: bool = Field(False, description="Analyse facial expressions (shown apart, never scored).")


class Consent(BaseModel):
    recording: bool
    transcription: bool
    emotion_analysis: bool
    notice_sha256: str
    agreed_at: datetime


class ConsentNotice(BaseModel):
    text: str
    sha256: str
    emotion_analysis_offered: bool


def notice_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Consents:
    def __init__(self, db: AsyncEngine) -> None:
        self._db = db

    async def record(self, *, interview_id: str, tenant_id: str, request: ConsentRequest, notice_text: str,
                     emotion_offered: bool, ip: str | None, user_agent: str | None) -> Consent:
        consent = Consent(recording=request.recording, transcription=request.transcription,
                          emotion_analysis=request.emotion_analysis and emotion_offered,
                          notice_sha256=notice_sha256(notice_text), agreed_at=utcnow())
        async with self._db.begin() as conn:
            await conn.execute(t.consents.insert(), {
                "id": secrets.token_hex(16), "interview_id": interview_id, "tenant_id": tenant_id,
                "notice_text": notice_text, "ip": ip, "user_agent": user_agent, **consent.model_dump(),
            })
            await conn.execute(t.interviews.update().where(t.interviews.c.interview_id == interview_id,
                                                           t.interviews.c.consented_at.is_(None))
                               .values(consented_at=consent.agreed_at))
        return consent

    async def latest(self, interview_id: str) -> Consent | None:
        query = (sa.select(t.consents).where(t.consents.c.interview_id == interview_id)
                 .order_by(t.consents.c.agreed_at.desc()).limit(1))
        async with reads(self._db).connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        return Consent(recording=row["recording"], transcription=row["transcription"],
                       emotion_analysis=row["emotion_analysis"], notice_sha256=row["notice_sha256"],
                       agreed_at=row["agreed_at"])
