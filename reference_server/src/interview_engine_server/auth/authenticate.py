"""From an ``Authorization: Bearer …`` header (or a WebSocket's first message) to a principal."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from ..errors import Unauthenticated
from ..records import InterviewRecords
from .accounts import Accounts
from .api_keys import PREFIX as API_KEY_PREFIX
from .api_keys import ApiKeys
from .principals import CandidatePrincipal, Principal
from .tokens import TokenService

MAX_CREDENTIAL_CHARS = 4096


class Authenticator:
    """Checks a credential against its signature or hash and against the store: a revoked key, an ended
    session or a revoked candidate token fails on its next use."""

    def __init__(self, tokens: TokenService, keys: ApiKeys, accounts: Accounts, records: InterviewRecords) -> None:
        self._tokens, self._keys, self._accounts, self._records = tokens, keys, accounts, records

    async def authenticate(self, connection: HTTPConnection) -> Principal:
        header = connection.headers.get("authorization")
        if not header:
            raise Unauthenticated()
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Unauthenticated("send the credential as `Authorization: Bearer <credential>`")
        return await self.credential(credential.strip())

    async def credential(self, credential: str) -> Principal:
        if len(credential) > MAX_CREDENTIAL_CHARS:
            raise Unauthenticated("the credential is malformed")
        if credential.startswith(API_KEY_PREFIX + "_"):
            return await self._keys.authenticate(credential)
        if self._tokens.kind_of(credential) == "access":
            return await self._accounts.principal(self._tokens.verify_access(credential))
        claims = self._tokens.verify_candidate(credential)
        record = await self._records.get(claims.interview_id, claims.tenant_id)
        if record is None or record.token_version != claims.version:
            raise Unauthenticated("the candidate token has been revoked")
        return CandidatePrincipal(claims.tenant_id, claims.interview_id, claims.token_type, claims.expires_at,
                                  record=record)
