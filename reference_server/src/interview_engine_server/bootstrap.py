"""Creating a tenant with its first admin (and an API key): used by ``interview-engine serve`` for the
demo tenant on first start and by ``interview-engine tenants create``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .auth.accounts import NewAccount
from .auth.api_keys import ApiKeyCreate
from .auth.principals import SCOPES
from .services import Services
from .tenants import TenantSettings


@dataclass(frozen=True)
class TenantCredentials:
    """What the operator must hand over once: nothing here is stored in the clear."""

    tenant_id: str
    admin_email: str
    admin_password: str
    api_key: str


async def create_tenant(services: Services, tenant_id: str, *, name: str, admin_email: str,
                        admin_password: str | None = None, settings: TenantSettings | None = None,
                        ) -> TenantCredentials:
    """A new tenant, its first admin (a random password unless given) and an API key with every scope."""
    await services.tenants.create(tenant_id, settings or TenantSettings(name=name))
    password = admin_password or secrets.token_urlsafe(18)
    account = await services.accounts.create(NewAccount(tenant_id=tenant_id, email=admin_email, name="Admin",
                                                        role="admin", password=password))
    key = await services.api_keys.create(tenant_id, ApiKeyCreate(name="bootstrap", scopes=list(SCOPES)),
                                         created_by=account.id)
    await services.audit.record(tenant_id=tenant_id, actor=("system", None), action="tenant.created",
                                target=("tenant", tenant_id), details={"admin": account.id, "api_key": key.id})
    return TenantCredentials(tenant_id, account.email, password, key.key)
