"""Sign-in, the schedule per role, the lobby, languages and accessibility in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from tests.e2e.kit import (
    BUNDLES,
    LiveServer,
    audit,
    launch,
    shoot,
    sign_in,
    sign_out,
    wait_for,
)

pytestmark = pytest.mark.browser
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture(scope="module")
def context(playwright: Playwright, chromium: str, e2e_dir: Path) -> Iterator[BrowserContext]:
    browser = launch(playwright, e2e_dir / "pages", chromium)
    yield browser
    browser.close()


@pytest.fixture
def page(context: BrowserContext, live: LiveServer) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    if page.get_by_test_id("sign-out").count():
        sign_out(page)
    page.close()
    assert errors == []


def cards(page: Page) -> list[str]:
    return [text for text in page.locator("li[data-testid^=session-]").all_inner_texts()]


@pytest.mark.parametrize(
    ("login", "count", "course", "tutor", "open_now"),
    [
        ("student1.1", 6, "IS-201", False, 1),
        ("student2.1", 6, "EC-101", False, 1),
        ("tutor.akhmetova", 6, "IS-201", True, 1),
        ("staff.karaganda", 12, None, False, 2),
        ("proctor", 4, None, False, 0),
    ],
)
def test_each_role_sees_its_own_schedule(
    page: Page,
    live: LiveServer,
    login: str,
    count: int,
    course: str | None,
    tutor: bool,
    open_now: int,
) -> None:
    sign_in(page, live.base_url, login)
    wait_for(lambda: len(cards(page)) == count)
    if course is not None:
        assert all(course in text for text in cards(page))
    # Tutors start their sessions; everybody else joins.
    assert page.locator("li button[data-testid^=start-]").count() == (count if tutor else 0)
    # Only the first lecture of each group is open now (its window opens 10 minutes early).
    assert page.locator("li[data-testid^=session-] button:enabled").count() == open_now
    assert "GMT+5" in page.get_by_test_id("zone-note").inner_text()
    shoot(page, f"pages-schedule-{login}")


def test_times_are_shown_in_the_persons_zone(page: Page, live: LiveServer) -> None:
    sign_in(page, live.base_url, "student1.1")
    first = page.locator("li[data-testid^=session-] time").first
    starts = datetime.fromisoformat(first.get_attribute("datetime") or "")
    assert first.inner_text() == starts.astimezone(ALMATY).strftime("%H:%M")


def test_a_wrong_password_is_refused_with_a_message(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.base_url}/#/signin")
    page.get_by_test_id("signin-login").fill("student1.1")
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    error = page.get_by_test_id("signin-error")
    wait_for(lambda: error.inner_text() == BUNDLES["kk"]["signin.wrong"])
    assert error.get_attribute("role") == "alert"
    shoot(page, "pages-signin-wrong-password")


def test_switching_language_changes_strings_and_is_remembered(page: Page, live: LiveServer) -> None:
    sign_in(page, live.base_url, "student1.3")
    heading = page.locator("h1")
    join = page.locator("[data-testid=schedule-today] button").first
    assert heading.inner_text() == BUNDLES["kk"]["schedule.title"]
    kk_day = page.locator("[data-testid=schedule-week] h3.day-heading").first.inner_text()
    assert any(BUNDLES["kk"][f"date.month.{n}"] in kk_day for n in range(1, 13)), kk_day
    assert page.locator("html").get_attribute("lang") == "kk"
    for code in ("en", "ru"):
        page.get_by_test_id("language-select").select_option(code)
        wait_for(lambda c=code: heading.inner_text() == BUNDLES[c]["schedule.title"])
        assert join.inner_text() == BUNDLES[code]["schedule.join"]
        assert page.locator("html").get_attribute("lang") == code
        shoot(page, f"pages-schedule-{code}")
        wait_for(
            lambda c=code: (
                page.evaluate("fetch('/api/me').then(r => r.json())")["person"]["locale"] == c
            )
        )
    day = page.locator("[data-testid=schedule-week] h3.day-heading").first.inner_text()
    assert any(
        name in day.lower()
        for name in (
            "понедельник",
            "вторник",
            "среда",
            "четверг",
            "пятница",
            "суббота",
            "воскресенье",
        )
    )
    page.reload()
    wait_for(lambda: heading.inner_text() == BUNDLES["ru"]["schedule.title"])
    page.get_by_test_id("language-select").select_option("kk")
    wait_for(lambda: heading.inner_text() == BUNDLES["kk"]["schedule.title"])


def test_every_bundle_has_the_same_keys() -> None:
    keys = {
        code: {
            key.rsplit(".", 1)[0] if key.startswith("room.participants.") else key for key in bundle
        }
        for code, bundle in BUNDLES.items()
    }
    assert keys["kk"] == keys["ru"] == keys["en"]


def test_the_lobby_previews_and_explains_a_refused_camera(page: Page, live: LiveServer) -> None:
    sign_in(page, live.base_url, "student1.1")
    page.locator("[data-testid=schedule-today] button[data-testid^=join-]").first.click()
    preview = page.get_by_test_id("lobby-preview")
    wait_for(lambda: page.evaluate("(v) => v.videoWidth", preview.element_handle()) > 0)
    assert page.get_by_test_id("camera-select").locator("option").count() >= 1
    assert page.get_by_test_id("level-meter").get_attribute("role") == "meter"
    page.get_by_test_id("audio-only").check()
    wait_for(lambda: preview.is_hidden())
    page.get_by_test_id("audio-only").uncheck()
    wait_for(lambda: page.evaluate("(v) => v.videoWidth", preview.element_handle()) > 0)
    assert audit(page) == []
    shoot(page, "pages-lobby")
    # A refusal: the browser says NotAllowedError, the lobby says what to do.
    page.evaluate(
        """() => { navigator.mediaDevices.getUserMedia = () =>
             Promise.reject(new DOMException('denied', 'NotAllowedError')); }"""
    )
    page.get_by_test_id("audio-only").check()
    message = page.get_by_test_id("lobby-message")
    wait_for(lambda: message.inner_text() == BUNDLES["kk"]["lobby.error_denied"])
    page.evaluate(
        """() => { navigator.mediaDevices.getUserMedia = () =>
             Promise.reject(new DOMException('none', 'NotFoundError')); }"""
    )
    page.get_by_test_id("audio-only").uncheck()
    wait_for(lambda: message.inner_text() == BUNDLES["kk"]["lobby.error_no_device"])
    shoot(page, "pages-lobby-no-device")
    assert page.get_by_test_id("lobby-join").is_enabled()
    page.get_by_test_id("lobby-back").click()
    page.get_by_test_id("schedule-today").wait_for()


def test_sign_in_and_schedule_pages_pass_the_accessibility_audit(
    page: Page, live: LiveServer
) -> None:
    page.goto(f"{live.base_url}/#/signin")
    page.get_by_test_id("signin-submit").wait_for()
    assert audit(page) == []
    shoot(page, "pages-signin")
    sign_in(page, live.base_url, "tutor.akhmetova")
    assert audit(page) == []
    shoot(page, "pages-schedule", full_page=True)


def test_the_schedule_is_operable_by_keyboard(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.base_url}/#/signin")
    page.get_by_test_id("signin-submit").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "skip-link"
    page.get_by_test_id("signin-login").focus()
    page.keyboard.type("student1.2")
    page.keyboard.press("Tab")
    page.keyboard.type("sabaq-demo")
    page.keyboard.press("Enter")
    page.get_by_test_id("schedule-today").wait_for()
    join = page.locator("[data-testid=schedule-today] button:enabled").first
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == join.get_attribute(
            "data-testid"
        ):
            break
    else:
        pytest.fail("the join button is not reachable by Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    page.keyboard.press("Enter")
    page.get_by_test_id("lobby-join").wait_for()
    shoot(page, "pages-keyboard-lobby")
