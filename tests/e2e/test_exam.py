"""A proctored exam in real Chromium: the proctor sees every student's camera and screen; the
exam's tutor allows speech from the grid, which a proctor only sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright
from sqlalchemy import select, update

from server.db.engine import make_sessionmaker
from server.db.models import ScheduledSession
from tests.e2e.kit import BUNDLES, LiveServer, audit, launch, open_now, shoot, sign_in, wait_for

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


def speech_rule(page: Page, exam: int) -> Any:
    """The exam's rule as the server's ``GET .../proctoring`` answers it to ``page``'s person."""
    return page.evaluate(
        "async (id) => (await (await fetch(`/api/sessions/${id}/proctoring`)).json())"
        ".speech_allowed",
        exam,
    )


def set_status(live: LiveServer, exam: int, status: str) -> str:
    """Sets the session's stored status; returns the one it had."""

    async def change() -> str:
        async with make_sessionmaker(live.services.engine)() as db:
            row = ScheduledSession.id == exam
            before: str = (await db.scalar(select(ScheduledSession.status).where(row))) or ""
            await db.execute(update(ScheduledSession).where(row).values(status=status))
            await db.commit()
            return before

    found: str = live.call(change())
    return found


def test_the_tutor_allows_speech_on_the_grid_and_a_proctor_only_sees_it(
    live: LiveServer,
    browsers: dict[str, BrowserContext],
    playwright: Playwright,
    chromium: str,
    e2e_dir: Path,
) -> None:
    exam = open_now(live, "exam")
    kk = BUNDLES["kk"]
    tutor_browser = launch(playwright, e2e_dir / "tutor", chromium)
    try:
        page = tutor_browser.pages[0]
        sign_in(page, live.base_url, "tutor.akhmetova")
        page.goto(f"{live.base_url}/#/proctor/{exam}")
        switch = page.get_by_test_id("grid-speech-allowed")
        wait_for(lambda: switch.is_visible() and switch.is_enabled())
        assert not switch.is_checked() and speech_rule(page, exam) is False  # forbidden at first
        # The label is bound to the switch: it is the switch's accessible name.
        assert page.get_by_role("switch", name=kk["proctoring.speech_allowed_label"]).count() == 1
        switch.click()
        state = page.get_by_test_id("grid-speech-state")
        wait_for(lambda: state.inner_text() == kk["proctoring.speech_allowed_on"])
        assert switch.is_checked() and switch.is_enabled()
        assert speech_rule(page, exam) is True
        assert audit(page) == []
        shoot(page, "exam-rules-tutor")
        # The proctor's grid shows the rule, read-only (the server refuses proctors anyway).
        proctor = browsers["proctor"].pages[0]
        proctor.goto(f"{live.base_url}/#/proctor/{exam}")
        seen = proctor.get_by_test_id("grid-speech-allowed")
        wait_for(lambda: seen.is_visible() and seen.is_checked())
        assert seen.is_disabled()
        read_only = proctor.get_by_test_id("grid-speech-state").inner_text()
        assert read_only == kk["proctoring.rules_read_only"]
        shoot(proctor, "exam-rules-proctor")
        # Forbidden again by the tutor: the proctor's open grid follows with its roster.
        switch.click()
        wait_for(lambda: state.inner_text() == kk["proctoring.speech_allowed_off"])
        assert speech_rule(page, exam) is False
        wait_for(lambda: not seen.is_checked(), 25)
        # A change the server refuses (the exam ended meanwhile) says why and undoes the switch.
        before = set_status(live, exam, "ended")
        try:
            switch.click()
            error = page.get_by_test_id("grid-speech-error")
            wait_for(
                lambda: error.inner_text().startswith(
                    kk["proctoring.rules_failed"].split("{reason}")[0]
                )
            )
            assert not switch.is_checked() and switch.is_enabled()
            assert speech_rule(page, exam) is False
            shoot(page, "exam-rules-refused-tutor")
        finally:
            set_status(live, exam, before)
    finally:
        tutor_browser.close()
