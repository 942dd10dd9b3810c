"""Tenants and their settings: who may embed the widget (CORS origins), whether candidates see a
summary, whether webhooks may target private addresses, and the consent notice candidates agree to."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t
from .clock import utcnow
from .db import reads
from .errors import Conflict, Invalid, NotFound

TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
CACHE_TTL_S = 5.0
"""How long a process keeps a tenant's settings before reading them again (CORS checks are per request)."""

DEFAULT_CONSENT_NOTICE = (
    "This interview stores your typed and spoken answers so that the hiring team can review them. An AI model "
    "suggests scores for each answer against the role's rubric, with quotes from your answers as evidence; "
    "people make the decisions and can override any score. With your permission, your voice is recorded and "
    "transcribed to text. Facial expression analysis is a separate choice, off unless you turn it on; it is "
    "shown to reviewers apart from your scores and never changes them."
)


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("an origin is scheme://host[:port], e.g. https://careers.example.com")
    return f"{parts.scheme}://{parts.netloc}".lower()


Origin = Annotated[str, Field(max_length=300), AfterValidator(_origin)]


class TenantSettings(BaseModel):
    """A tenant's settings as admins read and change them."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    cors_origins: Annotated[list[Origin], Field(max_length=50)] = Field(
        default_factory=list, description="Web origins allowed to call the candidate API (the widget's host pages).")
    candidate_summary: bool = Field(False, description="Show candidates a summary (no scores) after they finish.")
    allow_private_webhooks: bool = Field(
        False, description="Allow webhook endpoints on private or loopback addresses (off in production).")
    consent_notice: Annotated[str, Field(min_length=1, max_length=10_000)] = DEFAULT_CONSENT_NOTICE


class Tenant(TenantSettings):
    id: str
    created_at: datetime


class TenantSettingsPatch(BaseModel):
    """Change some settings; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    cors_origins: Annotated[list[Origin], Field(max_length=50)] | None = None
    candidate_summary: bool | None = None
    allow_private_webhooks: bool | None = None
    consent_notice: Annotated[str, Field(min_length=1, max_length=10_000)] | None = None


class Tenants:
    """Tenant rows, with a short per-process cache for the per-request reads."""

    def __init__(self, db: AsyncEngine) -> None:
        self._db = db
        self._cache: dict[str, tuple[float, Tenant]] = {}

    async def create(self, tenant_id: str, settings: TenantSettings) -> Tenant:
        if not re.match(TENANT_ID_PATTERN, tenant_id):
            raise Invalid("a tenant id is 1-63 lower-case letters, digits, - or _", code="invalid_tenant")
        tenant = Tenant(id=tenant_id, created_at=utcnow(), **settings.model_dump())
        try:
            async with self._db.begin() as conn:
                await conn.execute(t.tenants.insert(), tenant.model_dump())
        except IntegrityError:
            raise Conflict(f"the tenant {tenant_id!r} exists", code="tenant_exists") from None
        return tenant

    async def get(self, tenant_id: str, *, fresh: bool = False) -> Tenant:
        cached = self._cache.get(tenant_id)
        if cached is not None and not fresh and time.monotonic() - cached[0] < CACHE_TTL_S:
            return cached[1]
        async with reads(self._db).connect() as conn:
            row = (await conn.execute(sa.select(t.tenants).where(t.tenants.c.id == tenant_id))).mappings().first()
        if row is None:
            raise NotFound("no such tenant")
        tenant = Tenant.model_validate(dict(row))
        self._cache[tenant_id] = (time.monotonic(), tenant)
        return tenant

    async def exists(self, tenant_id: str) -> bool:
        try:
            await self.get(tenant_id)
        except NotFound:
            return False
        return True

    async def update(self, tenant_id: str, patch: TenantSettingsPatch) -> Tenant:
        changes: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude_none=True)
        if changes:
            async with self._db.begin() as conn:
                await conn.execute(t.tenants.update().where(t.tenants.c.id == tenant_id).values(**changes))
        return await self.get(tenant_id, fresh=True)
