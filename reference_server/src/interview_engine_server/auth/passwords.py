"""Recruiter passwords: argon2id (argon2-cffi), hashed off the event loop, with a dummy verification for
unknown accounts so a login takes the same time whether or not the account exists."""

from __future__ import annotations

from functools import cached_property

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256


class Passwords:
    """argon2id with the given cost (defaults: RFC 9106's low-memory profile, 64 MiB, 3 passes)."""

    def __init__(self, *, memory_kib: int = 65536, time_cost: int = 3, parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("an unknown account never matches this")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; with no stored hash, spends the same time and returns False."""
        return await anyio.to_thread.run_sync(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy_hash, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False
