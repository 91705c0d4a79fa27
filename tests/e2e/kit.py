"""The e2e harness: a live Sabaq server in a thread, Debian's Chromium driven by Playwright, and
small page helpers shared by the browser tests."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import BrowserContext, Page, Playwright
from starlette.applications import Starlette

from server.app import create_app
from server.db.engine import make_sessionmaker
from server.seed import seed_demo
from server.settings import Settings, load_settings
from tests.conftest import DEMO_PASSWORD, TEST_SECRET
from tests.integration.server.signal_kit import free_port
from tests.integration.server.signal_kit import open_now as signal_open_now

ROOT = Path(__file__).resolve().parents[2]
# Every step's screenshot goes here (data/ is git-ignored); SABAQ_E2E_SHOTS chooses another folder.
SHOTS = Path(os.environ.get("SABAQ_E2E_SHOTS") or ROOT / "data" / "e2e-shots")
BUNDLES = {
    code: json.loads((ROOT / f"frontend/i18n/{code}.json").read_text())
    for code in ("kk", "ru", "en")
}
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str | None:
    return next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)


class LiveServer:
    """The app served by uvicorn on a loopback port, on its own event loop in a thread, so that
    synchronous Playwright tests can drive it and still reach its services."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="e2e-server", daemon=True)
        self.base_url = ""
        self.app: Starlette | None = None

    def call(self, coroutine: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self) -> None:
        self.thread.start()
        self.call(self._start())

    async def _start(self) -> None:
        self.app = create_app(self.settings)
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        services = self.app.state.services
        await seed_demo(make_sessionmaker(services.engine), services.passwords, DEMO_PASSWORD)
        port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or self._task.done():
                raise RuntimeError("the e2e server did not start")
            await asyncio.sleep(0.02)
        self.base_url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        self._server.should_exit = True
        await self._task
        await self._lifespan.__aexit__(None, None, None)

    def stop(self) -> None:
        try:
            self.call(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    @property
    def services(self) -> Any:
        assert self.app is not None
        return self.app.state.services


def launch(playwright: Playwright, user_dir: Path, executable: str) -> BrowserContext:
    """One headless Chromium with fake camera, microphone and screen, and its own profile."""
    user_dir.mkdir(parents=True, exist_ok=True)
    scratch = user_dir.parent / f"{user_dir.name}-tmp"
    scratch.mkdir(exist_ok=True)
    context = playwright.chromium.launch_persistent_context(
        str(user_dir),
        executable_path=executable,
        headless=True,
        args=CHROMIUM_FLAGS,
        env={**os.environ, "TMPDIR": str(scratch), "XDG_RUNTIME_DIR": str(scratch)},
        viewport={"width": 1280, "height": 860},
        locale="en-GB",
    )
    context.set_default_timeout(15_000)
    return context


def sign_in(page: Page, base_url: str, login: str) -> None:
    page.goto(f"{base_url}/#/signin")
    page.get_by_test_id("signin-login").fill(login)
    page.get_by_test_id("signin-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("signin-submit").click()
    page.get_by_test_id("who").wait_for()
    page.locator("sabaq-schedule [data-testid=schedule-today]").wait_for()


def sign_out(page: Page) -> None:
    page.get_by_test_id("sign-out").click()
    page.get_by_test_id("signin-submit").wait_for()


def wait_for(predicate: Callable[[], Any], timeout: float = 15, interval: float = 0.25) -> Any:
    """Polls ``predicate`` until it returns something truthy; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")
        time.sleep(interval)


def shoot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Writes the page as ``<SHOTS>/<name>.png``, the test artefact of one step."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def open_now(server: LiveServer, kind: str, group: str = "ИС-21-1") -> int:
    """Moves the demo group's session of ``kind`` to have started a minute ago; returns its id."""
    session_id: int = server.call(signal_open_now(server.services, kind, group))
    return session_id


class TabbedChromium:
    """Chromium started by the test and driven over CDP without Playwright's default
    overrides, so that its tabs are real tabs of one window: opening another tab hides the
    first (``document.visibilityState`` becomes "hidden"), as it does for a user. Playwright's
    own launch keeps every page "visible" (its focus emulation holds pages as captured)."""

    def __init__(self, playwright: Playwright, user_dir: Path, executable: str) -> None:
        user_dir.mkdir(parents=True, exist_ok=True)
        scratch = user_dir.parent / f"{user_dir.name}-tmp"
        scratch.mkdir(exist_ok=True)
        port = free_port()
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                f"--remote-debugging-port={port}",
                "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={user_dir}",
                "--window-size=1280,860",
                *CHROMIUM_FLAGS,
                "about:blank",
            ],
            env={**os.environ, "TMPDIR": str(scratch), "XDG_RUNTIME_DIR": str(scratch)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{endpoint}/json/version"), 15, 0.1)
        self.browser = playwright.chromium.connect_over_cdp(endpoint, no_defaults=True)
        self.context = self.browser.contexts[0]
        self.context.set_default_timeout(15_000)
        self.page = self.context.pages[0]

    def open_other_tab(self) -> str:
        """Opens and shows another tab in the same window (the first one is hidden)."""
        cdp = self.context.new_cdp_session(self.page)
        target: str = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        cdp.send("Target.activateTarget", {"targetId": target})
        cdp.detach()
        return target

    def close_tab(self, target: str) -> None:
        cdp = self.context.new_cdp_session(self.page)
        cdp.send("Target.closeTarget", {"targetId": target})
        cdp.detach()
        self.page.bring_to_front()

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def live_settings(e2e_dir: Path, template: Path, extra: dict[str, str] | None = None) -> Settings:
    """The e2e server's settings on a fresh copy of the seeded SQLite ``template``; ``extra``
    adds to (or overrides) the test defaults."""
    database = e2e_dir / "sabaq.db"
    shutil.copy(template, database)
    env = {
        "DATA_DIR": str(e2e_dir / "data"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SECRET_KEY": TEST_SECRET,
        "SABAQ_ENV": "test",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "8192",
        "ICE_LOOPBACK_ONLY": "1",
        "ROOM_RESUME_SECONDS": "20",
    }
    return load_settings(env | (extra or {}))
