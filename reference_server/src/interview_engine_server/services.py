"""Everything a request handler may use, built once per process by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from interview_engine import Engine

from .audit import AuditLog
from .auth.accounts import Accounts
from .auth.api_keys import ApiKeys
from .auth.authenticate import Authenticator
from .auth.passwords import Passwords
from .auth.tokens import TokenService
from .consents import Consents
from .drafts import Drafts
from .events import EventLog
from .hooks import ServerHooks
from .media import LiveMedia
from .origins import OriginPolicy
from .overrides import Overrides
from .ratelimits import RateLimits
from .records import InterviewRecords
from .settings import ServerSettings
from .tenants import Tenants
from .timing import Clock
from .webhooks import WebhookService


@dataclass
class Services:
    settings: ServerSettings
    engine: Engine
    db: AsyncEngine
    tokens: TokenService
    authenticator: Authenticator
    rate_limits: RateLimits
    tenants: Tenants
    api_keys: ApiKeys
    accounts: Accounts
    records: InterviewRecords
    origins: OriginPolicy
    clock: Clock
    consents: Consents
    drafts: Drafts
    overrides: Overrides
    audit: AuditLog
    events: EventLog
    webhooks: WebhookService
    hooks: ServerHooks
    media: LiveMedia = field(init=False)
    """The live (WebRTC) peers of this process."""

    @classmethod
    def build(cls, settings: ServerSettings, engine: Engine, db: AsyncEngine, events: EventLog,
              webhooks: WebhookService, *, rate_limit_storage: str) -> Services:
        tokens = TokenService(settings.require_secret(), issuer=settings.issuer,
                              candidate_ttl_s=settings.candidate_token_ttl_s, access_ttl_s=settings.access_token_ttl_s)
        api_keys = ApiKeys(db)
        passwords = Passwords(memory_kib=settings.password_hash_memory_kib,
                              time_cost=settings.password_hash_time_cost,
                              parallelism=settings.password_hash_parallelism)
        accounts = Accounts(db, tokens, passwords, refresh_ttl_s=settings.refresh_token_ttl_s,
                            invite_ttl_s=settings.invite_ttl_s)
        records = InterviewRecords(db)
        tenants = Tenants(db)
        services = cls(
            settings=settings, engine=engine, db=db, tokens=tokens,
            authenticator=Authenticator(tokens, api_keys, accounts, records),
            rate_limits=RateLimits(settings, rate_limit_storage), tenants=tenants, api_keys=api_keys,
            accounts=accounts, records=records, origins=OriginPolicy(records, tenants, own_origin=settings.origin),
            clock=Clock(db), consents=Consents(db), drafts=Drafts(db), overrides=Overrides(db), audit=AuditLog(db),
            events=events, webhooks=webhooks, hooks=ServerHooks(events, webhooks),
        )
        services.media = LiveMedia(services)
        return services
