"""Which server holds each interview's live peer, kept in the database the servers share.

Only servers with ``live_server_url`` keep it: each claims the interview's row when it answers an offer
and releases it when the peer closes; a server that starts releases the rows it left behind when it
stopped without closing its peers. Another server reads the row to forward a live request to the holder.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import tables as t
from ..clock import utcnow
from ..db import reads, replacing_insert


@dataclass(frozen=True)
class PeerOwner:
    """The live peer of an interview and the address of the server that holds it."""

    peer_id: str
    server_url: str


class PeerOwners:
    """The ``server_live_peers`` rows; ``server_url`` is this server's own address."""

    def __init__(self, db: AsyncEngine, server_url: str) -> None:
        self._db = db
        self.server_url = server_url

    async def claim(self, interview_id: str, peer_id: str) -> PeerOwner | None:
        """This server now holds the interview's peer; returns the other peer the claim replaced, if any.

        Claims of one interview take turns (its row in ``server_interviews`` is locked), so of two offers
        answered at once on two servers the later claim sees the earlier one and can close its peer."""
        async with self._db.begin() as conn:
            await conn.execute(sa.select(t.interviews.c.interview_id)
                               .where(t.interviews.c.interview_id == interview_id).with_for_update())
            before = (await conn.execute(_owner_of(interview_id))).first()
            await conn.execute(replacing_insert(conn.dialect.name, t.live_peers, "interview_id"), {
                "interview_id": interview_id, "peer_id": peer_id, "server_url": self.server_url,
                "created_at": utcnow()})
        replaced = None if before is None else PeerOwner(before.peer_id, before.server_url)
        return None if replaced == PeerOwner(peer_id, self.server_url) else replaced

    async def release(self, interview_id: str, peer_id: str) -> None:
        """This server's peer closed (a row another server has claimed since is left alone)."""
        await self.forget(interview_id, PeerOwner(peer_id, self.server_url))

    async def forget(self, interview_id: str, owner: PeerOwner) -> None:
        """Drop the row if it still names ``owner`` (a server that did not answer)."""
        async with self._db.begin() as conn:
            await conn.execute(t.live_peers.delete().where(
                t.live_peers.c.interview_id == interview_id, t.live_peers.c.peer_id == owner.peer_id,
                t.live_peers.c.server_url == owner.server_url))

    async def owner(self, interview_id: str) -> PeerOwner | None:
        async with reads(self._db).connect() as conn:
            row = (await conn.execute(_owner_of(interview_id))).first()
        return None if row is None else PeerOwner(row.peer_id, row.server_url)

    async def release_all(self) -> int:
        """Release every row of this server (left from a run that stopped without closing its peers)."""
        async with self._db.begin() as conn:
            result = await conn.execute(t.live_peers.delete().where(t.live_peers.c.server_url == self.server_url))
        return result.rowcount or 0


def _owner_of(interview_id: str) -> sa.Select[tuple[str, str]]:
    return sa.select(t.live_peers.c.peer_id, t.live_peers.c.server_url).where(
        t.live_peers.c.interview_id == interview_id)
