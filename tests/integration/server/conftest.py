"""Fixtures for tests that need a live server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette

from media.aiortc_hooks import restrict_host_addresses
from tests.integration.server.signal_kit import serve


@pytest.fixture
def loopback() -> Iterator[None]:
    with restrict_host_addresses(["127.0.0.1"]):
        yield


@pytest.fixture
async def base(app: Starlette, loopback: None) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url
