"""Fixtures for the browser tests: one live server and one Playwright driver per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

from server.settings import load_settings
from tests.conftest import TEST_SECRET
from tests.e2e.kit import LiveServer, chromium_path
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
    database = e2e_dir / "sabaq.db"
    shutil.copy(sqlite_template, database)
    settings = load_settings(
        {
            "DATA_DIR": str(e2e_dir / "data"),
            "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "SECRET_KEY": TEST_SECRET,
            "SABAQ_ENV": "test",
            "PASSWORD_HASH_TIME_COST": "1",
            "PASSWORD_HASH_MEMORY_KIB": "8192",
            "ICE_LOOPBACK_ONLY": "1",
            "ROOM_RESUME_SECONDS": "20",
        }
    )
    server = LiveServer(settings)
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
