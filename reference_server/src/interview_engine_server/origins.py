"""Which browser origins may call an interview's routes: the server's own, and those its tenant lists."""

from __future__ import annotations

from collections import OrderedDict

from .records import InterviewRecords
from .tenants import Tenants

CACHE_SIZE = 10_000


class OriginPolicy:
    def __init__(self, records: InterviewRecords, tenants: Tenants, *, own_origin: str) -> None:
        self._records, self._tenants, self.own_origin = records, tenants, own_origin
        self._tenant_of: OrderedDict[str, str] = OrderedDict()

    async def allows(self, origin: str, interview_id: str | None) -> bool:
        if origin == self.own_origin:
            return True
        if interview_id is None:
            return False
        tenant_id = await self._tenant(interview_id)
        if tenant_id is None:
            return False
        tenant = await self._tenants.get(tenant_id)
        return origin.lower() in tenant.cors_origins

    async def _tenant(self, interview_id: str) -> str | None:
        if interview_id in self._tenant_of:
            self._tenant_of.move_to_end(interview_id)
            return self._tenant_of[interview_id]
        tenant_id = await self._records.tenant_of(interview_id)
        if tenant_id is not None:  # an interview never changes tenant; unknown ids are looked up again
            self._tenant_of[interview_id] = tenant_id
            if len(self._tenant_of) > CACHE_SIZE:
                self._tenant_of.popitem(last=False)
        return tenant_id
