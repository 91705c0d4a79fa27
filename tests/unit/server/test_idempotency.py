"""Idempotency keys and request fingerprints."""

from __future__ import annotations

import pytest

from server.errors import Conflict, ValidationFailed
from server.idempotency import check_key, check_replay, fingerprint


@pytest.mark.parametrize("raw", [None, "", "short", "a" * 65, "has space 123", "ключ-123456"])
def test_bad_keys_are_refused(raw: str | None) -> None:
    with pytest.raises(ValidationFailed):
        check_key(raw)


def test_a_uuid_is_a_good_key() -> None:
    assert check_key("0b6f1a2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b")


def test_fingerprints_ignore_key_order_and_see_every_value() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1, "b": [1, 2]}) != fingerprint({"a": 1, "b": [2, 1]})
    check_replay(fingerprint({"t": "x"}), fingerprint({"t": "x"}))
    with pytest.raises(Conflict):
        check_replay(fingerprint({"t": "x"}), fingerprint({"t": "y"}))
