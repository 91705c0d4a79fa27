"""Client idempotency keys: what a key may look like and the fingerprint of what it was sent with.

A client (the browser's off-line outbox) makes one key per thing it wants done and sends it with
every retry. The server stores the key with a hash of the request's content: the same key with
the same content gets the stored result back (200); with other content it is refused (409).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from server.errors import Conflict, ValidationFailed

HEADER = "idempotency-key"
KEY = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def check_key(raw: str | None) -> str:
    """The header's value; 422 when missing or not 8–64 of ``A-Z a-z 0-9 . _ : -``."""
    if raw is None:
        raise ValidationFailed("send an Idempotency-Key header (8-64 letters, digits, . _ : -)")
    if not KEY.match(raw):
        raise ValidationFailed("the Idempotency-Key must be 8-64 letters, digits, . _ : -")
    return raw


def fingerprint(content: dict[str, Any]) -> str:
    """A stable hash of a request's meaning (keys sorted, whitespace-free JSON)."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def check_replay(stored_hash: str, new_hash: str) -> None:
    """A replay must carry the content the key was first used with."""
    if stored_hash != new_hash:
        raise Conflict("this Idempotency-Key was already used for a different request")
