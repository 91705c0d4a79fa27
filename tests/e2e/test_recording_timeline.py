"""Raised hands on a recording's timeline in real Chromium: next to the chat, in time order,
each a button that seeks the video to its moment. The recording is made from a synthetic capture
(processing for real); the hand events are stored as the live room stores them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Playwright
from sqlalchemy import select

from server.db.engine import make_sessionmaker
from server.db.models import Person, Recording, RecordingStatus, RoomEvent
from server.services import Services
from tests.e2e.kit import BUNDLES, LiveServer, audit, launch, open_now, shoot, sign_in, wait_for
from tests.unit.recordings.synthetic import Piece, write_capture

pytestmark = pytest.mark.browser
VIDEO_TIME = "(el) => ({readyState: el.readyState, time: el.currentTime})"


async def _people(services: Services, *logins: str) -> list[Person]:
    async with make_sessionmaker(services.engine)() as db:
        rows = {
            p.login: p for p in await db.scalars(select(Person).where(Person.login.in_(logins)))
        }
    return [rows[login] for login in logins]


async def _recording_with_hands(services: Services, session_id: int) -> int:
    """A ready 8-second recording; student1.1 raises a hand at 2 s, the tutor lowers it at 4 s,
    student1.2 raises and lowers their own at 5 s and 6 s."""
    tutor, first, second = await _people(services, "tutor.akhmetova", "student1.1", "student1.2")
    sessions = make_sessionmaker(services.engine)
    async with sessions() as db:
        recording = Recording(session_id=session_id, status=RecordingStatus.FAILED.value)
        db.add(recording)
        await db.flush()
        recording.folder = f"session-{session_id}/rec-{recording.id}"
        await db.commit()
        recording_id = recording.id
    origin = time.time() - 60
    root = services.settings.recordings_dir / f"session-{session_id}/rec-{recording_id}"
    write_capture(
        root / "capture",
        [
            Piece(f"p{tutor.id}", "camera", "t1", 0.0, 8.0),
            Piece(f"p{tutor.id}", "microphone", "t2", 0.0, 8.0),
        ],
        origin=origin,
    )
    await services.recordings.retry(recording_id)  # processes the capture
    events = [
        (first.id, "hand_raised", None, 2.0),
        (first.id, "hand_lowered", tutor.id, 4.0),
        (second.id, "hand_raised", None, 5.0),
        (second.id, "hand_lowered", None, 6.0),
    ]
    async with sessions() as db:
        for person_id, kind, by, offset in events:
            at = datetime.fromtimestamp(origin + offset, UTC)
            db.add(
                RoomEvent(
                    session_id=session_id, person_id=person_id, kind=kind, by_person_id=by, at=at
                )
            )
        await db.commit()
    return recording_id


def test_hands_show_on_the_timeline_in_order_and_seek_the_video(
    live: LiveServer, playwright: Playwright, chromium: str, e2e_dir: Path
) -> None:
    session_id = open_now(live, "lecture")
    live.call(_recording_with_hands(live.services, session_id))
    tutor, first, second = live.call(
        _people(live.services, "tutor.akhmetova", "student1.1", "student1.2")
    )
    context = launch(playwright, e2e_dir / "hands", chromium)
    try:
        page = context.pages[0]
        sign_in(page, live.base_url, "tutor.akhmetova")
        page.goto(f"{live.base_url}/#/recordings/session/{session_id}")
        card = page.locator("[data-testid^=recording-][data-status]").first
        wait_for(lambda: card.get_attribute("data-status") in ("ready", "failed"), 45)
        assert card.get_attribute("data-status") == "ready", card.inner_text()
        timeline = page.get_by_test_id("recording-timeline")
        kk = BUNDLES["kk"]
        heading = page.locator("#recording-timeline-heading")
        assert heading.inner_text() == kk["recordings.timeline"]
        buttons = timeline.locator("button")
        wait_for(lambda: buttons.count() == 4)
        texts = [buttons.nth(i).inner_text() for i in range(4)]
        raised, lowered_by = kk["recordings.hand_raised"], kk["recordings.hand_lowered_by"]
        assert first.full_name in texts[0] and raised in texts[0]
        assert lowered_by.replace("{name}", tutor.full_name) in texts[1]
        assert second.full_name in texts[2] and raised in texts[2]
        assert kk["recordings.hand_lowered"] in texts[3]
        offsets = [float(buttons.nth(i).get_attribute("data-offset") or -1) for i in range(4)]
        assert offsets == pytest.approx([2.0, 4.0, 5.0, 6.0], abs=0.05)
        video = page.get_by_test_id("recording-player")
        video.evaluate("(el) => { el.muted = true; }")
        buttons.nth(1).click()
        wait_for(lambda: (s := video.evaluate(VIDEO_TIME))["readyState"] >= 2 and s["time"] >= 4)
        page.get_by_test_id("language-select").select_option("en")
        wait_for(lambda: heading.inner_text() == BUNDLES["en"]["recordings.timeline"])
        shoot(page, "recording-timeline-hands")
        assert audit(page) == []
    finally:
        context.close()
