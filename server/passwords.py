"""Password hashing with argon2id, off the event loop and with a cap on concurrent hashes.

Argon2 is deliberately expensive (memory and CPU); an unbounded burst of sign-ins would
otherwise starve the whole server, so at most ``concurrency`` hashes run at once.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


class PasswordService:
    """Hashes and verifies passwords; verification of unknown users costs the same time."""

    def __init__(self, concurrency: int, time_cost: int = 3, memory_kib: int = 65536) -> None:
        # Stored hashes carry their own parameters, so changing these later verifies old ones.
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash is checked against a dummy one."""
        target = stored_hash or await self._dummy()
        async with self._slots:
            matched = await asyncio.to_thread(self._check, target, password)
        return matched and stored_hash is not None

    def _check(self, stored_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("sabaq-dummy-password-for-timing")
        return self._dummy_hash
