"""Tenant administration: API keys, tenant settings and the audit log (admins only, signed in)."""

from __future__ import annotations

from pydantic import BaseModel

from ..audit import AuditPage, AuditQuery
from ..auth.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyInfo
from ..auth.principals import ADMIN, Access
from ..routing import Call, Endpoint, NoQuery
from ..tenants import Tenant, TenantSettingsPatch
from .common import audit

TAG = "Administration"
ADMINS = Access(roles=ADMIN)


class ApiKeyList(BaseModel):
    items: list[ApiKeyInfo]


async def list_api_keys(call: Call[None, NoQuery]) -> ApiKeyList:
    """The tenant's API keys (never their secrets)."""
    return ApiKeyList(items=await call.services.api_keys.list(call.tenant_id))


async def create_api_key(call: Call[ApiKeyCreate, NoQuery]) -> ApiKeyCreated:
    """A new API key with the given scopes. The key is in this response only; store it as a secret."""
    key = await call.services.api_keys.create(call.tenant_id, call.body, created_by=call.principal.actor[1])
    await audit(call, "api_key.created", ("api_key", key.id), scopes=key.scopes)
    return key


async def revoke_api_key(call: Call[None, NoQuery]) -> None:
    """Revoke an API key; it stops working on its next request."""
    key_id = call.path["key_id"]
    await call.services.api_keys.revoke(call.tenant_id, key_id)
    await audit(call, "api_key.revoked", ("api_key", key_id))


async def get_tenant(call: Call[None, NoQuery]) -> Tenant:
    """The tenant's settings."""
    return await call.services.tenants.get(call.tenant_id, fresh=True)


async def update_tenant(call: Call[TenantSettingsPatch, NoQuery]) -> Tenant:
    """Change settings: CORS origins for the widget, candidate summaries, private webhooks, consent notice."""
    tenant = await call.services.tenants.update(call.tenant_id, call.body)
    await audit(call, "tenant.updated", ("tenant", call.tenant_id),
                changed=sorted(call.body.model_dump(exclude_unset=True, exclude_none=True)))
    return tenant


async def read_audit_log(call: Call[None, AuditQuery]) -> AuditPage:
    """Who did what, when and from where: report views, deletions, credential and settings changes."""
    return await call.services.audit.page(call.tenant_id, call.query)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v1/api-keys", list_api_keys, "List API keys", TAG, ADMINS, response=ApiKeyList),
    Endpoint("POST", "/v1/api-keys", create_api_key, "Create an API key", TAG, ADMINS, body=ApiKeyCreate,
             response=ApiKeyCreated, status=201),
    Endpoint("DELETE", "/v1/api-keys/{key_id}", revoke_api_key, "Revoke an API key", TAG, ADMINS, status=204),
    Endpoint("GET", "/v1/tenant", get_tenant, "Read tenant settings", TAG, ADMINS, response=Tenant),
    Endpoint("PATCH", "/v1/tenant", update_tenant, "Change tenant settings", TAG, ADMINS, body=TenantSettingsPatch,
             response=Tenant),
    Endpoint("GET", "/v1/audit", read_audit_log, "Read the audit log", TAG, ADMINS, query=AuditQuery,
             response=AuditPage),
)
