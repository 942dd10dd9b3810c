"""The audit log: every view of a report, every deletion and every change to credentials or settings,
with who, what, when and from where. Admins read it; nothing deletes it."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t
from .clock import utcnow
from .db import reads
from .errors import Invalid


class AuditEntry(BaseModel):
    id: str
    at: datetime
    actor_type: str = Field(description="`account`, `api_key`, `candidate` or `system`.")
    actor_id: str | None
    action: str = Field(description="e.g. `report.viewed`, `interview.deleted`, `score.overridden`.")
    target_type: str | None
    target_id: str | None
    ip: str | None
    user_agent: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action: Annotated[str, Field(max_length=64)] | None = None
    target_id: Annotated[str, Field(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


class AuditLog:
    def __init__(self, db: AsyncEngine) -> None:
        self._db = db

    async def record(self, *, tenant_id: str, actor: tuple[str, str | None], action: str,
                     target: tuple[str, str] | None = None, ip: str | None = None, user_agent: str | None = None,
                     details: dict[str, Any] | None = None) -> None:
        target_type, target_id = target or (None, None)
        async with self._db.begin() as conn:
            await conn.execute(t.audit_log.insert(), {
                "id": secrets.token_hex(16), "tenant_id": tenant_id, "at": utcnow(), "actor_type": actor[0],
                "actor_id": actor[1], "action": action, "target_type": target_type, "target_id": target_id,
                "ip": ip, "user_agent": user_agent, "details": details or {},
            })

    async def page(self, tenant_id: str, query: AuditQuery) -> AuditPage:
        """Newest first, ``limit`` at a time; ``next_cursor`` continues."""
        log = t.audit_log
        select = sa.select(log).where(log.c.tenant_id == tenant_id)
        if query.action:
            select = select.where(log.c.action == query.action)
        if query.target_id:
            select = select.where(log.c.target_id == query.target_id)
        if query.cursor:
            at, entry_id = _decode_cursor(query.cursor)
            select = select.where(sa.or_(log.c.at < at, sa.and_(log.c.at == at, log.c.id < entry_id)))
        select = select.order_by(log.c.at.desc(), log.c.id.desc()).limit(query.limit + 1)
        async with reads(self._db).connect() as conn:
            rows = (await conn.execute(select)).mappings().all()
        items = [AuditEntry.model_validate({k: r[k] for k in AuditEntry.model_fields}) for r in rows[:query.limit]]
        more = len(rows) > query.limit
        return AuditPage(items=items, next_cursor=_encode_cursor(items[-1]) if more else None)


def _encode_cursor(entry: AuditEntry) -> str:
    raw = json.dumps([entry.at.isoformat(), entry.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, entry_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        when = datetime.fromisoformat(at)
    except (ValueError, TypeError, binascii.Error):
        when = None
    if when is None or when.tzinfo is None:
        raise Invalid("the cursor is not valid", code="invalid_cursor")
    return when, str(entry_id)
