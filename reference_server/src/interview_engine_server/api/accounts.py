"""Recruiter sign-in (login, refresh, logout, who am I) and account management by admins (invite, list,
change role, disable). Login and invite acceptance are rate-limited per address and per account name."""

from __future__ import annotations

from pydantic import BaseModel

from ..auth.accounts import (
    Account,
    AccountPatch,
    InviteAccept,
    InviteCreate,
    InviteCreated,
    LoginRequest,
    RefreshRequest,
    SessionTokens,
)
from ..auth.principals import ADMIN, ALL_ROLES, PUBLIC, Access, RecruiterPrincipal
from ..routing import Call, Endpoint, NoQuery
from .common import audit

TAG = "Recruiter accounts"


class AccountList(BaseModel):
    items: list[Account]


class Me(BaseModel):
    account: Account
    tenant_id: str


async def login(call: Call[LoginRequest, NoQuery]) -> SessionTokens:
    """Sign in with tenant, e-mail and password; returns a short-lived access token and a refresh token."""
    body = call.body
    await call.services.rate_limits.hit_login(call.client_ip, f"{body.tenant}/{body.email}")
    tokens = await call.services.accounts.login(body)
    await call.services.audit.record(tenant_id=body.tenant, actor=("account", tokens.account.id),
                                     action="account.login", ip=call.client_ip, user_agent=call.user_agent)
    return tokens


async def refresh_session(call: Call[RefreshRequest, NoQuery]) -> SessionTokens:
    """Exchange a refresh token (single use) for a new access token and refresh token."""
    await call.services.rate_limits.hit_login(call.client_ip, "refresh")
    return await call.services.accounts.refresh(call.body)


async def logout(call: Call[None, NoQuery]) -> None:
    """End this session: its access and refresh tokens stop working at once."""
    principal = call.principal
    assert isinstance(principal, RecruiterPrincipal)
    await call.services.accounts.logout(principal)


async def me(call: Call[None, NoQuery]) -> Me:
    """The signed-in account."""
    principal = call.principal
    assert isinstance(principal, RecruiterPrincipal)
    return Me(account=await call.services.accounts.get(call.tenant_id, principal.account_id),
              tenant_id=call.tenant_id)


async def accept_invite(call: Call[InviteAccept, NoQuery]) -> Account:
    """Create your account from an invitation, choosing a name and a password (at least 12 characters)."""
    await call.services.rate_limits.hit_login(call.client_ip, "invite")
    tenant_id, account = await call.services.accounts.accept_invite(call.body)
    await call.services.audit.record(tenant_id=tenant_id, actor=("account", account.id), action="account.created",
                                     target=("account", account.id), ip=call.client_ip, user_agent=call.user_agent)
    return account


async def list_accounts(call: Call[None, NoQuery]) -> AccountList:
    """Every account of the tenant."""
    return AccountList(items=await call.services.accounts.list(call.tenant_id))


async def invite_account(call: Call[InviteCreate, NoQuery]) -> InviteCreated:
    """Invite a person with a role; hand them the returned invitation (shown once)."""
    principal = call.principal
    assert isinstance(principal, RecruiterPrincipal)
    invite = await call.services.accounts.invite(call.tenant_id, call.body, created_by=principal.account_id)
    await audit(call, "account.invited", ("invite", invite.id), email=invite.email, role=invite.role)
    return invite


async def update_account(call: Call[AccountPatch, NoQuery]) -> Account:
    """Change an account's role or disable it (its sessions end). A tenant keeps at least one admin."""
    account_id = call.path["account_id"]
    account = await call.services.accounts.update(call.tenant_id, account_id, call.body)
    await audit(call, "account.updated", ("account", account_id),
                **call.body.model_dump(exclude_none=True))
    return account


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/v1/auth/login", login, "Sign in", TAG, PUBLIC, body=LoginRequest, response=SessionTokens,
             errors=(401,)),
    Endpoint("POST", "/v1/auth/refresh", refresh_session, "Refresh a session", TAG, PUBLIC, body=RefreshRequest,
             response=SessionTokens, errors=(401,)),
    Endpoint("POST", "/v1/auth/logout", logout, "Sign out", TAG, Access(roles=ALL_ROLES), status=204),
    Endpoint("GET", "/v1/auth/me", me, "The signed-in account", TAG, Access(roles=ALL_ROLES), response=Me),
    Endpoint("POST", "/v1/accounts/accept-invite", accept_invite, "Accept an invitation", TAG, PUBLIC,
             body=InviteAccept, response=Account, status=201, errors=(401, 409)),
    Endpoint("GET", "/v1/accounts", list_accounts, "List accounts", TAG, Access(roles=ADMIN), response=AccountList),
    Endpoint("POST", "/v1/accounts/invites", invite_account, "Invite a person", TAG, Access(roles=ADMIN),
             body=InviteCreate, response=InviteCreated, status=201),
    Endpoint("PATCH", "/v1/accounts/{account_id}", update_account, "Change an account", TAG, Access(roles=ADMIN),
             body=AccountPatch, response=Account, errors=(409,)),
)
