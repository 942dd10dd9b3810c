"""Recruiter accounts: invitations, passwords (argon2), sessions with rotating refresh tokens, roles.

Registration is by invitation only: an admin invites an e-mail address with a role and hands over the
one-time invite; the invitee sets a name and password. The first admin of a tenant is created by
``interview-engine serve`` (the demo tenant) or ``interview-engine tenants create``.

A session is a row: the access token (a short-lived JWT) names it, and every request checks it is still
live and reads the account's current role, so logout, disabling an account and role changes take effect
on the next request. A refresh token is single-use; presenting a used one revokes the whole session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .. import tables as t
from ..clock import utcnow
from ..db import reads
from ..errors import Conflict, NotFound, Unauthenticated
from .opaque import new_credential, parse_credential, secret_matches
from .passwords import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Passwords
from .principals import RecruiterPrincipal, Role
from .tokens import AccessClaims, TokenService

SESSION_PREFIX = "iers"
INVITE_PREFIX = "ieinv"


def _email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in value) or domain.startswith("."):
        raise ValueError("not an e-mail address")
    return value


Email = Annotated[str, Field(min_length=3, max_length=320), AfterValidator(_email)]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)]
PersonName = Annotated[str, Field(min_length=1, max_length=200)]


class Account(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    disabled: bool


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    role: Role


class InviteCreated(BaseModel):
    id: str
    email: str
    role: Role
    expires_at: datetime
    invite: str = Field(description="The one-time invitation to hand to the person. Shown once.")


class InviteAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invite: Annotated[str, Field(max_length=200)]
    name: PersonName
    password: Password


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    email: Annotated[str, Field(min_length=1, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD_CHARS)]


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(max_length=200)]


class SessionTokens(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    refresh_token: str = Field(description="Single use: each refresh returns a new one.")
    refresh_expires_at: datetime
    account: Account


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    disabled: bool | None = None


@dataclass(frozen=True)
class NewAccount:
    tenant_id: str
    email: str
    name: str
    role: Role
    password: str


class Accounts:
    def __init__(self, db: AsyncEngine, tokens: TokenService, passwords: Passwords, *, refresh_ttl_s: int,
                 invite_ttl_s: int) -> None:
        self._db = db
        self._tokens = tokens
        self._passwords = passwords
        self._refresh_ttl = timedelta(seconds=refresh_ttl_s)
        self._invite_ttl = timedelta(seconds=invite_ttl_s)

    # accounts

    async def create(self, new: NewAccount) -> Account:
        """Create an account directly (first admin, CLI). Raises Conflict if the e-mail is taken."""
        email = _email(new.email)
        password_hash = await self._passwords.hash(new.password)
        async with self._db.begin() as conn:
            return await self._insert(conn, new.tenant_id, email, new.name, new.role, password_hash)

    async def _insert(self, conn: AsyncConnection, tenant_id: str, email: str, name: str, role: Role,
                      password_hash: str) -> Account:
        account = Account(id=secrets.token_hex(16), email=email, name=name, role=role,
                          created_at=utcnow(), disabled=False)
        try:
            async with conn.begin_nested():
                await conn.execute(t.accounts.insert(), {
                    "id": account.id, "tenant_id": tenant_id, "email": email, "name": name, "role": role,
                    "password_hash": password_hash, "created_at": account.created_at, "disabled_at": None,
                })
        except IntegrityError:
            raise Conflict("an account with this e-mail exists", code="email_taken") from None
        return account

    async def list(self, tenant_id: str) -> list[Account]:
        query = sa.select(t.accounts).where(t.accounts.c.tenant_id == tenant_id).order_by(t.accounts.c.created_at)
        async with reads(self._db).connect() as conn:
            return [_account(r) for r in (await conn.execute(query)).mappings().all()]

    async def get(self, tenant_id: str, account_id: str) -> Account:
        query = sa.select(t.accounts).where(t.accounts.c.id == account_id, t.accounts.c.tenant_id == tenant_id)
        async with reads(self._db).connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            raise NotFound("no such account")
        return _account(row)

    async def update(self, tenant_id: str, account_id: str, patch: AccountPatch) -> Account:
        """Change a role or disable/enable; refuses to leave the tenant without an active admin."""
        mine = (t.accounts.c.id == account_id) & (t.accounts.c.tenant_id == tenant_id)
        async with self._db.begin() as conn:
            await conn.execute(sa.select(t.tenants.c.id).where(t.tenants.c.id == tenant_id).with_for_update())
            row = (await conn.execute(sa.select(t.accounts).where(mine))).mappings().first()
            if row is None:
                raise NotFound("no such account")
            values: dict[str, object] = {}
            if patch.role is not None:
                values["role"] = patch.role
            if patch.disabled is not None:
                values["disabled_at"] = (row["disabled_at"] or utcnow()) if patch.disabled else None
            if values:
                await conn.execute(t.accounts.update().where(mine).values(**values))
            if await self._active_admins(conn, tenant_id) == 0:
                raise Conflict("a tenant must keep at least one active admin", code="last_admin")
            if patch.disabled:
                await conn.execute(t.account_sessions.update()
                                   .where(t.account_sessions.c.account_id == account_id,
                                          t.account_sessions.c.revoked_at.is_(None))
                                   .values(revoked_at=utcnow()))
            row = (await conn.execute(sa.select(t.accounts).where(mine))).mappings().one()
        return _account(row)

    async def _active_admins(self, conn: AsyncConnection, tenant_id: str) -> int:
        query = sa.select(sa.func.count()).select_from(t.accounts).where(
            t.accounts.c.tenant_id == tenant_id, t.accounts.c.role == "admin", t.accounts.c.disabled_at.is_(None))
        return int((await conn.execute(query)).scalar_one())

    # invitations

    async def invite(self, tenant_id: str, request: InviteCreate, *, created_by: str) -> InviteCreated:
        credential = new_credential(INVITE_PREFIX)
        now = utcnow()
        expires = now + self._invite_ttl
        async with self._db.begin() as conn:
            await conn.execute(t.invites.insert(), {
                "id": credential.id, "tenant_id": tenant_id, "email": request.email, "role": request.role,
                "secret_hash": credential.secret_hash, "created_by": created_by, "created_at": now,
                "expires_at": expires, "accepted_at": None,
            })
        return InviteCreated(id=credential.id, email=request.email, role=request.role, expires_at=expires,
                             invite=str(credential))

    async def accept_invite(self, request: InviteAccept) -> tuple[str, Account]:
        """Create the invited account; returns its tenant and the account. The invite is used up."""
        credential = parse_credential(request.invite, INVITE_PREFIX)
        invalid = Unauthenticated("the invitation is not valid or has expired")
        if credential is None:
            raise invalid
        password_hash = await self._passwords.hash(request.password)
        now = utcnow()
        async with self._db.begin() as conn:
            row = (await conn.execute(sa.select(t.invites).where(t.invites.c.id == credential.id))).mappings().first()
            if row is None or not secret_matches(row["secret_hash"], credential) or row["accepted_at"] is not None \
                    or row["expires_at"] <= now:
                raise invalid
            used = await conn.execute(t.invites.update().where(t.invites.c.id == credential.id,
                                                               t.invites.c.accepted_at.is_(None))
                                      .values(accepted_at=now))
            if used.rowcount != 1:
                raise invalid
            account = await self._insert(conn, row["tenant_id"], row["email"], request.name, row["role"],
                                         password_hash)
        return row["tenant_id"], account

    # sessions

    async def login(self, request: LoginRequest) -> SessionTokens:
        """A new session for valid credentials; one message for every failure, in the same time."""
        query = sa.select(t.accounts).where(t.accounts.c.tenant_id == request.tenant,
                                            t.accounts.c.email == request.email.strip().lower())
        async with reads(self._db).connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        matches = await self._passwords.verify(row["password_hash"] if row else None, request.password)
        if row is None or not matches or row["disabled_at"] is not None:
            raise Unauthenticated("the tenant, e-mail or password is wrong")
        account = _account(row)
        credential = new_credential(SESSION_PREFIX)
        now = utcnow()
        async with self._db.begin() as conn:
            await conn.execute(t.account_sessions.insert(), {
                "id": credential.id, "account_id": account.id, "tenant_id": request.tenant,
                "refresh_hash": credential.secret_hash, "created_at": now, "expires_at": now + self._refresh_ttl,
                "revoked_at": None,
            })
        return self._tokens_for(request.tenant, account, str(credential), credential.id, now + self._refresh_ttl)

    async def refresh(self, request: RefreshRequest) -> SessionTokens:
        credential = parse_credential(request.refresh_token, SESSION_PREFIX)
        invalid = Unauthenticated("the refresh token is not valid")
        if credential is None:
            raise invalid
        replacement = new_credential(SESSION_PREFIX)
        now = utcnow()
        async with self._db.begin() as conn:
            swapped = await conn.execute(
                t.account_sessions.update()
                .where(t.account_sessions.c.id == credential.id,
                       t.account_sessions.c.refresh_hash == credential.secret_hash,
                       t.account_sessions.c.revoked_at.is_(None), t.account_sessions.c.expires_at > now)
                .values(refresh_hash=replacement.secret_hash)
            )
            row = None
            if swapped.rowcount != 1:  # unknown, expired, revoked, or a refresh token used before: end it
                await conn.execute(t.account_sessions.update()
                                   .where(t.account_sessions.c.id == credential.id,
                                          t.account_sessions.c.revoked_at.is_(None))
                                   .values(revoked_at=now))
            else:
                query = sa.select(t.accounts, t.account_sessions.c.expires_at.label("session_expires_at")).join(
                    t.account_sessions, t.account_sessions.c.account_id == t.accounts.c.id
                ).where(t.account_sessions.c.id == credential.id)
                row = (await conn.execute(query)).mappings().one()
        if row is None or row["disabled_at"] is not None:
            raise invalid
        token = f"{SESSION_PREFIX}_{credential.id}_{replacement.secret}"
        return self._tokens_for(row["tenant_id"], _account(row), token, credential.id, row["session_expires_at"])

    async def logout(self, principal: RecruiterPrincipal) -> None:
        async with self._db.begin() as conn:
            await conn.execute(t.account_sessions.update()
                               .where(t.account_sessions.c.id == principal.session_id,
                                      t.account_sessions.c.revoked_at.is_(None))
                               .values(revoked_at=utcnow()))

    async def principal(self, claims: AccessClaims) -> RecruiterPrincipal:
        """The signed-in person behind a verified access token, if their session and account are live."""
        query = sa.select(t.accounts.c.role).join(
            t.account_sessions, t.account_sessions.c.account_id == t.accounts.c.id
        ).where(
            t.account_sessions.c.id == claims.session_id, t.accounts.c.id == claims.account_id,
            t.accounts.c.tenant_id == claims.tenant_id, t.account_sessions.c.revoked_at.is_(None),
            t.account_sessions.c.expires_at > utcnow(), t.accounts.c.disabled_at.is_(None),
        )
        async with reads(self._db).connect() as conn:
            role = (await conn.execute(query)).scalar_one_or_none()
        if role is None:
            raise Unauthenticated("the session has ended")
        return RecruiterPrincipal(claims.tenant_id, claims.account_id, claims.session_id, role, claims.expires_at)

    def _tokens_for(self, tenant_id: str, account: Account, refresh_token: str, session_id: str,
                    refresh_expires: datetime) -> SessionTokens:
        access = self._tokens.issue_access(tenant_id=tenant_id, account_id=account.id, session_id=session_id)
        return SessionTokens(access_token=access.token, expires_at=access.expires_at, refresh_token=refresh_token,
                             refresh_expires_at=refresh_expires, account=account)


def _account(row: sa.RowMapping) -> Account:
    return Account(id=row["id"], email=row["email"], name=row["name"], role=row["role"],
                   created_at=row["created_at"], disabled=row["disabled_at"] is not None)
