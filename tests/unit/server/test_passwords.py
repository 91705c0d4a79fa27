from __future__ import annotations

from server.passwords import PasswordService


async def test_hash_verifies_and_wrong_or_missing_do_not() -> None:
    service = PasswordService(2, time_cost=1, memory_kib=8192)
    stored = await service.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert await service.verify(stored, "correct horse battery")
    assert not await service.verify(stored, "wrong horse")
    assert not await service.verify(None, "correct horse battery")
    assert not await service.verify("not-a-hash", "x")
