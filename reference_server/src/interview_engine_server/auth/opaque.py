"""Opaque credentials (API keys, refresh tokens, invites): ``<prefix>_<id>_<secret>``.

The id finds the row; only a SHA-256 of the secret is stored (the secret has 256 random bits, so a fast
hash is enough: nothing to brute-force), compared in constant time. The full credential is shown once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

ID_BYTES = 8
SECRET_BYTES = 32
_SHAPE = re.compile(r"^(?P<prefix>[a-z]{2,8})_(?P<id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class OpaqueCredential:
    prefix: str
    id: str
    secret: str

    def __str__(self) -> str:
        return f"{self.prefix}_{self.id}_{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)


def new_credential(prefix: str) -> OpaqueCredential:
    return OpaqueCredential(prefix, secrets.token_hex(ID_BYTES), secrets.token_urlsafe(SECRET_BYTES))


def parse_credential(value: str, prefix: str) -> OpaqueCredential | None:
    """The parts of a well-formed credential with this prefix, else None."""
    match = _SHAPE.match(value)
    if match is None or match["prefix"] != prefix:
        return None
    return OpaqueCredential(prefix, match["id"], match["secret"])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(stored_hash: str, credential: OpaqueCredential) -> bool:
    return hmac.compare_digest(stored_hash, credential.secret_hash)
