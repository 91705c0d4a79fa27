"""Recording in real Chromium: the tutor records a lecture, the student sees the indicator, the
recording is processed and plays in the browser on the session's recordings page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from tests.e2e.kit import BUNDLES, LiveServer, audit, launch, shoot, sign_in, wait_for

pytestmark = pytest.mark.browser
LECTURE = "Лекция 5. Нормальные формы"
CHAT_LINE = "Жазба басталды: 1-слайд"
VIDEO_STATE = """(el) => ({readyState: el.readyState, width: el.videoWidth, time: el.currentTime,
  duration: el.duration, error: el.error && el.error.code, src: el.currentSrc})"""


@dataclass
class Person:
    login: str
    context: BrowserContext
    page: Page

    def shot(self, name: str) -> None:
        shoot(self.page, f"recording-{name}")


def enter(person: Person, base_url: str, button: str) -> int:
    """Signs in, goes through the lobby into the lecture; returns the session id."""
    sign_in(person.page, base_url, person.login)
    card = person.page.locator("[data-testid^=session-]", has_text=LECTURE).first
    card.locator(f"[data-testid^={button}-]").click()
    person.page.get_by_test_id("lobby-join").click()
    person.page.get_by_test_id("controls").wait_for()
    wait_for(lambda: person.page.evaluate("window.sabaq.participantId?.()"))
    return int(person.page.url.rsplit("/", 1)[-1])


@pytest.fixture(scope="module")
def people(
    live: LiveServer, playwright: Playwright, chromium: str, e2e_dir: Path
) -> Iterator[dict[str, Person]]:
    found: dict[str, Person] = {}
    try:
        for key, login in (("tutor", "tutor.akhmetova"), ("student", "student1.1")):
            context = launch(playwright, e2e_dir / key, chromium)
            found[key] = Person(login, context, context.pages[0])
        yield found
    finally:
        for person in found.values():
            person.context.close()


@pytest.fixture(scope="module")
def session_id(people: dict[str, Person], live: LiveServer) -> int:
    number = enter(people["tutor"], live.base_url, "start")
    assert enter(people["student"], live.base_url, "join") == number
    return number


def test_the_tutor_starts_recording_and_the_student_sees_the_indicator(
    people: dict[str, Person], session_id: int, live: LiveServer
) -> None:
    tutor, student = people["tutor"], people["student"]
    record = tutor.page.get_by_test_id("control-record")
    assert record.inner_text() == BUNDLES["kk"]["recordings.start"]
    assert student.page.get_by_test_id("control-record").is_hidden(), "no record grant"
    assert student.page.get_by_test_id("recording-indicator").is_hidden()
    record.click()
    indicator = student.page.get_by_test_id("recording-indicator")
    indicator.wait_for(timeout=20_000)
    assert BUNDLES["kk"]["recordings.indicator"] in indicator.inner_text()
    announcer = student.page.get_by_test_id("recording-announcer")
    assert announcer.get_attribute("aria-live") == "polite"
    wait_for(lambda: announcer.inner_text() == BUNDLES["kk"]["recordings.announce_started"])
    tutor.page.get_by_test_id("recording-indicator").wait_for()
    wait_for(lambda: record.inner_text() == BUNDLES["kk"]["recordings.stop"])
    # A chat line said while recording: it shows on the recording's timeline later.
    tutor.page.get_by_test_id("control-chat").click()
    tutor.page.get_by_test_id("chat-input").fill(CHAT_LINE)
    tutor.page.get_by_test_id("chat-input").press("Enter")
    student.shot("01-indicator-student")
    tutor.shot("01-recording-tutor")


def test_joining_a_recorded_session_shows_the_notice_in_the_lobby(
    people: dict[str, Person], session_id: int
) -> None:
    student = people["student"]
    student.page.goto(f"{student.page.url.split('#')[0]}#/lobby/{session_id}")
    notice = student.page.get_by_test_id("lobby-recording")
    notice.wait_for()
    assert notice.inner_text() == BUNDLES["kk"]["recordings.lobby_now"]
    student.shot("02-lobby-notice-student")
    student.page.get_by_test_id("lobby-join").click()
    student.page.get_by_test_id("recording-indicator").wait_for(timeout=20_000)


def test_a_full_disk_alerts_the_tutor_only(
    people: dict[str, Person], session_id: int, live: LiveServer
) -> None:
    tutor, student = people["tutor"], people["student"]

    async def disk_full() -> None:
        # What the server tells moderators when the recorder stops on a full disk (the recorder
        # itself keeps going here: this is the message only).
        room = live.services.rooms.get(session_id)
        assert room is not None
        room.tell_moderators(
            {"type": "recording", "recording": False, "reason": "disk_full", "message": "full"}
        )

    live.call(disk_full())
    alert = tutor.page.get_by_test_id("recording-alert")
    alert.wait_for()
    assert alert.get_attribute("role") == "alert"
    assert alert.inner_text() == BUNDLES["kk"]["recordings.disk_full"]
    tutor.shot("02-disk-full-tutor")
    student.page.wait_for_timeout(300)
    assert student.page.get_by_test_id("recording-alert").is_hidden()


def test_the_tutor_stops_and_the_recording_plays_on_the_session_page(
    people: dict[str, Person], session_id: int
) -> None:
    tutor, student = people["tutor"], people["student"]
    tutor.page.wait_for_timeout(3000)  # a few seconds of media
    tutor.page.get_by_test_id("control-record").click()
    student.page.get_by_test_id("recording-indicator").wait_for(state="hidden", timeout=30_000)
    announcer = student.page.get_by_test_id("recording-announcer")
    wait_for(lambda: announcer.inner_text() == BUNDLES["kk"]["recordings.announce_stopped"])
    # The tutor ends the lecture; the end card leads to the session's recordings.
    tutor.page.get_by_test_id("control-end").click()
    tutor.page.get_by_test_id("end-confirm").click()
    tutor.page.get_by_test_id("ended-recordings").click()
    page = tutor.page
    page.get_by_test_id("recordings-list").locator("li").first.wait_for()
    card = page.locator("[data-testid^=recording-][data-status]").first
    recording_id = int((card.get_attribute("data-testid") or "").rsplit("-", 1)[-1])
    if card.get_attribute("data-status") == "processing":
        tutor.shot("03-processing-tutor")
    wait_for(lambda: card.get_attribute("data-status") in ("ready", "failed"), 45)
    assert card.get_attribute("data-status") == "ready", card.inner_text()
    video = page.get_by_test_id("recording-player")
    state = wait_for(lambda: (s := video.evaluate(VIDEO_STATE))["readyState"] >= 1 and s, 15)
    assert f"/api/recordings/{recording_id}/files/" in state["src"]
    assert page.locator(f"[data-testid^=recording-download-{recording_id}-]").count() == 1
    # The chat line sits on the timeline; a click seeks there and plays.
    line = page.get_by_test_id("recording-timeline").locator("button", has_text=CHAT_LINE)
    line.wait_for()
    video.evaluate("(el) => { el.muted = true; }")
    line.click()
    offset = float(line.get_attribute("data-offset") or 0)
    played = wait_for(
        lambda: (
            (s := video.evaluate(VIDEO_STATE))["readyState"] >= 2 and s["time"] > offset + 0.3 and s
        ),
        15,
    )
    assert played["width"] > 0, played
    assert played["error"] is None
    page.wait_for_timeout(300)
    tutor.shot("04-playing-tutor")
    assert audit(page) == []


def test_the_student_finds_it_from_the_schedule_and_plays_it(
    people: dict[str, Person], session_id: int, live: LiveServer
) -> None:
    student = people["student"]
    page = student.page
    page.get_by_test_id("room-ended").wait_for()
    page.goto(f"{live.base_url}/#/")
    page.get_by_test_id(f"recordings-link-{session_id}").click()
    card = page.locator("[data-testid^=recording-][data-status=ready]").first
    card.wait_for()
    assert page.locator("[data-testid^=recording-download-]").count() == 0, "tutor and staff only"
    video = page.get_by_test_id("recording-player")
    video.evaluate("(el) => { el.muted = true; return el.play(); }")
    start = wait_for(lambda: (s := video.evaluate(VIDEO_STATE))["readyState"] >= 2 and s, 15)
    wait_for(lambda: video.evaluate(VIDEO_STATE)["time"] > start["time"] + 0.5, 15)
    assert video.evaluate(VIDEO_STATE)["width"] > 0
    heading = page.locator("#recordings-title")
    for code in ("en", "ru"):
        page.get_by_test_id("language-select").select_option(code)
        wait_for(lambda c=code: heading.inner_text() == BUNDLES[c]["recordings.title_session"])
    student.shot("05-playing-student")
    assert audit(page) == []
    # The course's page lists the same recording.
    page.get_by_test_id("recordings-course-link").click()
    page.wait_for_url("**/#/recordings/course/*")
    page.locator("[data-testid^=recording-][data-status=ready]").first.wait_for()
    assert page.get_by_test_id("recording-player").is_visible()
    student.shot("06-course-student")
