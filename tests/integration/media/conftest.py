from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from media.aiortc_hooks import restrict_host_addresses
from tests.integration.media.media_testkit import Harness


@pytest.fixture
def loopback() -> Iterator[None]:
    """Client peers in the test gather host candidates on 127.0.0.1 only."""
    with restrict_host_addresses(["127.0.0.1"]):
        yield


@pytest.fixture
async def harness(loopback: None) -> AsyncIterator[Harness]:
    h = Harness()
    yield h
    await h.close()
