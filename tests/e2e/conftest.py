"""Fixtures for the browser tests: one live server and one Playwright driver per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

from tests.e2e.kit import LiveServer, chromium_path, live_settings
from tests.support import require

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def chromium() -> str:
    found = chromium_path()
    require(found is not None, "Debian's Chromium (/usr/bin/chromium)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def live(e2e_dir: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    server = LiveServer(live_settings(e2e_dir, sqlite_template))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def playwright(e2e_dir: Path, chromium: str) -> Iterator[Playwright]:
    scratch = e2e_dir / "driver-tmp"
    scratch.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(scratch))
        patch.setenv("XDG_RUNTIME_DIR", str(scratch))
        with sync_playwright() as driver:
            yield driver
