"""API keys of HR back ends: ``iek_<id>_<secret>``, stored hashed, scoped, revocable."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import tables as t
from ..clock import utcnow
from ..db import reads
from ..errors import NotFound, Unauthenticated
from .opaque import new_credential, parse_credential, secret_matches
from .principals import SCOPES, ApiKeyPrincipal, Scope

PREFIX = "iek"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=len(SCOPES))]


class ApiKeyInfo(BaseModel):
    """An API key as listed: never its secret."""

    id: str
    name: str
    scopes: list[Scope]
    prefix: str = Field(description="The start of the key, to recognise it: `iek_<id>`.")
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyInfo):
    key: str = Field(description="The whole key. Shown once; only its hash is stored.")


_BY_ID = sa.select(t.api_keys).where(t.api_keys.c.id == sa.bindparam("id"))
"""Read on every API-key request: built once, so SQLAlchemy neither rebuilds nor re-keys it per request."""


class ApiKeys:
    def __init__(self, db: AsyncEngine) -> None:
        self._db = db

    async def create(self, tenant_id: str, request: ApiKeyCreate, *, created_by: str | None) -> ApiKeyCreated:
        credential = new_credential(PREFIX)
        now = utcnow()
        scopes = sorted(set(request.scopes))
        async with self._db.begin() as conn:
            await conn.execute(t.api_keys.insert(), {
                "id": credential.id, "tenant_id": tenant_id, "name": request.name,
                "secret_hash": credential.secret_hash, "scopes": scopes, "created_by": created_by,
                "created_at": now, "revoked_at": None,
            })
        return ApiKeyCreated(id=credential.id, name=request.name, scopes=scopes, prefix=f"{PREFIX}_{credential.id}",
                             created_at=now, revoked_at=None, key=str(credential))

    async def list(self, tenant_id: str) -> list[ApiKeyInfo]:
        query = sa.select(t.api_keys).where(t.api_keys.c.tenant_id == tenant_id).order_by(t.api_keys.c.created_at)
        async with reads(self._db).connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_info(r) for r in rows]

    async def revoke(self, tenant_id: str, key_id: str) -> None:
        """Revoke a key of this tenant (idempotent); it stops working on the next request."""
        mine = (t.api_keys.c.id == key_id) & (t.api_keys.c.tenant_id == tenant_id)
        async with self._db.begin() as conn:
            await conn.execute(t.api_keys.update().where(mine, t.api_keys.c.revoked_at.is_(None))
                               .values(revoked_at=utcnow()))
            if (await conn.execute(sa.select(t.api_keys.c.id).where(mine))).first() is None:
                raise NotFound("no such API key")

    async def authenticate(self, value: str) -> ApiKeyPrincipal:
        credential = parse_credential(value, PREFIX)
        if credential is None:
            raise Unauthenticated("the API key is malformed")
        async with reads(self._db).connect() as conn:
            row = (await conn.execute(_BY_ID, {"id": credential.id})).mappings().first()
        if row is None or not secret_matches(row["secret_hash"], credential):
            raise Unauthenticated("the API key is not valid")
        if row["revoked_at"] is not None:
            raise Unauthenticated("the API key has been revoked")
        return ApiKeyPrincipal(tenant_id=row["tenant_id"], key_id=row["id"], scopes=frozenset(row["scopes"]))


def _info(row: sa.RowMapping) -> ApiKeyInfo:
    return ApiKeyInfo(id=row["id"], name=row["name"], scopes=row["scopes"], prefix=f"{PREFIX}_{row['id']}",
                      created_at=row["created_at"], revoked_at=row["revoked_at"])
