"""Health."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel

from ..auth.principals import PUBLIC
from ..errors import Unavailable
from ..routing import Call, Endpoint, NoQuery


class Health(BaseModel):
    status: Literal["ok"]


async def health(call: Call[None, NoQuery]) -> Health:
    """Ready to serve: the database answers. For load balancer checks."""
    try:
        async with call.services.db.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except Exception:
        raise Unavailable("the database is not reachable") from None
    return Health(status="ok")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v1/health", health, "Health check", "Service", PUBLIC, response=Health, errors=(503,)),
)
