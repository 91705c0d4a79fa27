"""A proctored exam in real Chromium: the proctor sees every student's camera and screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright

from tests.e2e.kit import BUNDLES, LiveServer, launch, open_now, shoot, sign_in, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browsers(
    playwright: Playwright, chromium: str, e2e_dir: Path
) -> Iterator[dict[str, BrowserContext]]:
    contexts: dict[str, BrowserContext] = {}
    try:
        for login in ("proctor", "student1.1", "student1.2"):
            contexts[login] = launch(playwright, e2e_dir / login, chromium)
        yield contexts
    finally:
        for context in contexts.values():
            context.close()


def video_width(context: BrowserContext, testid: str) -> int:
    width: int = context.pages[0].evaluate(
        "(id) => document.querySelector(`[data-testid='${id}']`)?.videoWidth ?? 0", testid
    )
    return width


def test_the_proctor_sees_every_students_camera_and_screen(
    live: LiveServer, browsers: dict[str, BrowserContext]
) -> None:
    exam = open_now(live, "exam")
    students: dict[str, str] = {}
    for login, context in browsers.items():
        page = context.pages[0]
        sign_in(page, live.base_url, login)
        page.goto(f"{live.base_url}/#/lobby/{exam}")
        page.get_by_test_id("lobby-join").click()
        page.get_by_test_id("controls").wait_for()
        participant = wait_for(
            lambda p=page: p.evaluate("window.sabaq.participantId && window.sabaq.participantId()")
        )
        if login != "proctor":
            students[login] = participant
            notice = page.get_by_test_id("room-notice")
            wait_for(lambda n=notice: n.inner_text() == BUNDLES["kk"]["notice.exam_share_screen"])
            page.get_by_test_id("control-screen").click()
    proctor = browsers["proctor"]
    assert proctor.pages[0].get_by_test_id("control-screen").is_hidden()
    for participant in students.values():
        for label in ("camera", "screen"):
            wait_for(lambda p=participant, lb=label: video_width(proctor, f"video-{p}-{lb}") > 0)
    assert proctor.pages[0].get_by_test_id("stage").get_attribute("data-layout") == "proctor"
    shoot(proctor.pages[0], "exam-proctor")
    for login, participant in students.items():
        page = browsers[login].pages[0]
        assert page.locator("video[data-testid^=video-p]").count() == 0, "students see nobody"
        assert video_width(browsers[login], "local-video-screen") > 0
        other = next(p for p in students.values() if p != participant)
        assert page.get_by_test_id(f"participant-{other}").count() == 0
        shoot(page, f"exam-{login}")
    wanted = {(p, label) for p in students.values() for label in ("camera", "screen")}

    def received() -> set[tuple[str, str]]:
        inbound = proctor.pages[0].evaluate("window.sabaq.stats()")["inbound"]
        return {(e["participant_id"], e["label"]) for e in inbound if e.get("framesDecoded")}

    wait_for(lambda: received() >= wanted)
