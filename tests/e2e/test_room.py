"""A lecture in real Chromium: a tutor and two students through the SFU on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from tests.e2e.kit import BUNDLES, LiveServer, audit, launch, sign_in, wait_for

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SABAQ_E2E_SHOTS")
LECTURE = "Лекция 5. Нормальные формы"


@dataclass
class Person:
    login: str
    context: BrowserContext
    page: Page
    participant_id: str = ""

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate("window.sabaq.stats()")
        return result

    def inbound(self, publisher: str, label: str) -> dict[str, Any] | None:
        for entry in self.stats()["inbound"]:
            if entry["participant_id"] == publisher and entry["label"] == label:
                return entry
        return None

    def video_width(self, testid: str) -> int:
        width: int = self.page.evaluate(
            "(id) => document.querySelector(`[data-testid='${id}']`)?.videoWidth ?? 0", testid
        )
        return width

    def shot(self, name: str) -> None:
        if SHOTS:
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def enter_lecture(person: Person, base_url: str, button: str) -> None:
    sign_in(person.page, base_url, person.login)
    card = person.page.locator("[data-testid^=session-]", has_text=LECTURE).first
    card.locator(f"[data-testid^={button}-]").click()
    person.page.get_by_test_id("lobby-join").click()
    person.page.get_by_test_id("controls").wait_for()
    person.participant_id = wait_for(
        lambda: person.page.evaluate("window.sabaq.participantId && window.sabaq.participantId()")
    )


@pytest.fixture(scope="module")
def lecture(
    live: LiveServer, playwright: Playwright, chromium: str, e2e_dir: Path
) -> Iterator[dict[str, Person]]:
    people: dict[str, Person] = {}
    try:
        for key, login in (
            ("tutor", "tutor.akhmetova"),
            ("s1", "student1.1"),
            ("s2", "student1.2"),
        ):
            context = launch(playwright, e2e_dir / key, chromium)
            people[key] = Person(login, context, context.pages[0])
        enter_lecture(people["tutor"], live.base_url, "start")
        for key in ("s1", "s2"):
            enter_lecture(people[key], live.base_url, "join")
        yield people
    finally:
        for person in people.values():
            person.context.close()


def frames_decoded(person: Person, publisher: str, label: str) -> int:
    entry = person.inbound(publisher, label)
    return int(entry.get("framesDecoded", 0)) if entry else 0


def test_students_see_and_decode_the_tutors_camera(lecture: dict[str, Person]) -> None:
    tutor = lecture["tutor"].participant_id
    for key in ("s1", "s2"):
        student = lecture[key]
        wait_for(lambda s=student: s.video_width(f"video-{tutor}-camera") > 0)
        first = wait_for(lambda s=student: frames_decoded(s, tutor, "camera"))
        wait_for(lambda s=student, f=first: frames_decoded(s, tutor, "camera") > f + 5)
        assert student.inbound(tutor, "microphone") is not None
    outbound = lecture["tutor"].stats()["outbound"]
    assert {entry["label"] for entry in outbound} == {"camera", "microphone"}
    lecture["s1"].shot("room-student")


def test_screen_share_reaches_the_students(lecture: dict[str, Person]) -> None:
    tutor = lecture["tutor"]
    tutor.page.get_by_test_id("control-screen").click()
    wait_for(
        lambda: tutor.page.get_by_test_id("control-screen").get_attribute("aria-pressed") == "true"
    )
    for key in ("s1", "s2"):
        student = lecture[key]
        wait_for(lambda s=student: s.video_width(f"video-{tutor.participant_id}-screen") > 0)
        wait_for(lambda s=student: frames_decoded(s, tutor.participant_id, "screen") > 3)
    lecture["s2"].shot("room-screen")


def test_a_raised_hand_is_announced_and_the_floor_shows_the_student(
    lecture: dict[str, Person],
) -> None:
    tutor, s1, s2 = lecture["tutor"], lecture["s1"], lecture["s2"]
    s1.page.get_by_test_id("control-hand").click()
    tutor.page.get_by_test_id(f"hand-{s1.participant_id}").wait_for()
    events = tutor.page.get_by_test_id("room-events")
    assert events.get_attribute("aria-live") == "polite"
    wait_for(lambda: "Алия" in events.inner_text())
    tutor.page.get_by_test_id(f"floor-{s1.participant_id}").click()
    for viewer in (s2, tutor):
        wait_for(lambda v=viewer: v.video_width(f"video-{s1.participant_id}-camera") > 0, 20)
        wait_for(lambda v=viewer: frames_decoded(v, s1.participant_id, "camera") > 3)
    assert s1.page.get_by_test_id("control-mic").is_visible()
    tutor.shot("room-tutor")


def test_a_dropped_network_shows_the_banner_and_the_room_rejoins(
    lecture: dict[str, Person],
) -> None:
    s2, tutor = lecture["s2"], lecture["tutor"].participant_id
    banner = s2.page.get_by_test_id("reconnecting-banner")
    s2.context.set_offline(True)
    try:
        banner.wait_for(state="visible", timeout=20_000)
        assert banner.inner_text() == BUNDLES["kk"]["room.reconnecting"]
    finally:
        s2.context.set_offline(False)
    banner.wait_for(state="hidden", timeout=20_000)
    before = frames_decoded(s2, tutor, "camera")
    wait_for(lambda: frames_decoded(s2, tutor, "camera") > before + 5, 20)
    assert s2.video_width(f"video-{tutor}-camera") > 0


def test_the_room_page_passes_the_accessibility_audit(lecture: dict[str, Person]) -> None:
    for key in ("tutor", "s2"):
        assert audit(lecture[key].page) == []


def test_the_tutor_mutes_locks_removes_and_ends(lecture: dict[str, Person]) -> None:
    tutor, s1, s2 = lecture["tutor"], lecture["s1"], lecture["s2"]
    s1.page.get_by_test_id("language-select").select_option("en")
    mic = s1.page.get_by_test_id("control-mic")
    wait_for(lambda: mic.inner_text() == BUNDLES["en"]["room.microphone"])
    assert mic.get_attribute("aria-pressed") == "true"
    tutor.page.get_by_test_id(f"mute-{s1.participant_id}").click()
    wait_for(lambda: mic.get_attribute("aria-pressed") == "false")
    notice = s1.page.get_by_test_id("room-notice")
    wait_for(lambda: notice.inner_text() == BUNDLES["en"]["notice.muted_by_moderator"])
    assert s1.video_width(f"video-{tutor.participant_id}-camera") > 0, "media survives"

    tutor.page.get_by_test_id("control-lock").click()
    s2.page.get_by_test_id("room-locked").wait_for()
    tutor.page.get_by_test_id(f"remove-{s2.participant_id}").click()
    ended = s2.page.get_by_test_id("room-ended")
    ended.wait_for()
    assert BUNDLES["kk"]["room.ended_removed"] in ended.inner_text()

    tutor.page.get_by_test_id("control-end").click()
    tutor.page.get_by_test_id("end-confirm").click()
    s1.page.get_by_test_id("room-ended").wait_for()
    assert BUNDLES["en"]["room.ended_ended"] in s1.page.get_by_test_id("room-ended").inner_text()
    tutor.page.get_by_test_id("room-ended").wait_for()
