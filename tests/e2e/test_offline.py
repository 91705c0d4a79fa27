"""Off-line mode in real Chromium: a student goes off-line, writes to the tutor and submits an
assignment with a 5 MB file, reloads (the page comes from the service worker), sees both queued,
goes on-line, and both arrive exactly once; the tutor's open inbox and roster show them without a
reload. Plus the accessibility audit of the inbox and assignments pages."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright
from sqlalchemy import func, select

from server.db.engine import make_sessionmaker
from server.db.models import InboxMessage, Person, SubmissionVersion
from tests.e2e.kit import BUNDLES, LiveServer, audit, launch, shoot, sign_in, wait_for

pytestmark = pytest.mark.browser
STUDENT = "student1.1"
TUTOR = "tutor.akhmetova"
# A 5 MB file that passes the server's content check for .pdf: it starts with "%PDF-".
PDF = b"%PDF-1.4\n" + os.urandom(5 * 1024 * 1024 - 16) + b"\n%%EOF\n"
PDF_SHA = hashlib.sha256(PDF).hexdigest()
MESSAGE = f"Сәлеметсіз бе! Офлайн жазылған хабар {int(time.time())}"
TITLE = f"Офлайн эссе {int(time.time())}"


@dataclass
class Browsers:
    tutor: BrowserContext
    student: BrowserContext
    inbox: Page
    roster: Page
    page: Page
    errors: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def browsers(
    live: LiveServer, playwright: Playwright, chromium: str, e2e_dir: Path
) -> Iterator[Browsers]:
    tutor = launch(playwright, e2e_dir / "offline-tutor", chromium)
    student = launch(playwright, e2e_dir / "offline-student", chromium)
    try:
        found = Browsers(tutor, student, tutor.pages[0], tutor.new_page(), student.pages[0])
        for page in (found.inbox, found.roster, found.page):
            page.on("pageerror", lambda error: found.errors.append(str(error)))
        sign_in(found.inbox, live.base_url, TUTOR)
        sign_in(found.page, live.base_url, STUDENT)
        yield found
    finally:
        tutor.close()
        student.close()


def db_value(live: LiveServer, query: Any) -> Any:
    async def run() -> Any:
        async with make_sessionmaker(live.services.engine)() as db:
            return await db.scalar(query)

    return live.call(run())


def fetch_json(page: Page, path: str) -> Any:
    return page.evaluate("(p) => fetch(p).then((r) => r.json())", path)


def test_the_tutor_sets_an_assignment_and_opens_the_inbox_and_roster(
    browsers: Browsers, live: LiveServer
) -> None:
    page = browsers.roster
    page.goto(f"{live.base_url}/#/assignments")
    page.get_by_test_id("new-title").fill(TITLE)
    page.get_by_test_id("new-instructions").fill("Write about 3NF; PDF only.")
    wait_for(lambda: page.get_by_test_id("new-group").locator("option").count() > 0)
    page.get_by_test_id("new-type-docx").uncheck()
    page.get_by_test_id("new-create").click()
    page.get_by_test_id("roster").wait_for()
    browsers.state["assignment"] = int(page.url.rsplit("/", 1)[1])
    wait_for(lambda: page.locator("[data-testid=roster-rows] tr").count() > 0)
    assert page.locator("[data-testid=roster-rows] tr[data-status=missing]").count() > 0
    assert (
        BUNDLES["kk"]["assignments.archive"] in page.get_by_test_id("roster-archive").inner_text()
    )
    assert audit(page) == []
    shoot(page, "offline-01-tutor-roster-empty")
    inbox = browsers.inbox
    inbox.goto(f"{live.base_url}/#/inbox")
    wait_for(lambda: inbox.locator("sabaq-inbox").get_attribute("data-live") == "true")
    assert audit(inbox) == []
    shoot(inbox, "offline-02-tutor-inbox")


def test_work_made_off_line_is_queued_and_arrives_exactly_once(
    browsers: Browsers, live: LiveServer
) -> None:
    page, base = browsers.page, live.base_url
    assignment = browsers.state["assignment"]
    # On-line first: the service worker (served with a JS type from /) takes control, then
    # every page passes through it.
    worker = page.request.get(f"{base}/sw.js")
    assert "javascript" in worker.headers["content-type"]
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    page.get_by_test_id("schedule-today").wait_for()
    page.goto(f"{base}/#/inbox")
    page.get_by_test_id("compose-to").wait_for()
    page.goto(f"{base}/#/assignments/{assignment}")
    page.get_by_test_id("draft-editor").wait_for()
    page.get_by_test_id("receipts").get_by_text(BUNDLES["kk"]["assignments.no_receipts"]).wait_for()

    browsers.student.set_offline(True)
    page.get_by_test_id("offline-note").wait_for()
    # The message to the tutor.
    page.goto(f"{base}/#/inbox")
    tutor_name = db_value(live, select(Person.full_name).where(Person.login == TUTOR))
    option = page.get_by_test_id("compose-to").locator("option", has_text=tutor_name).first
    page.get_by_test_id("compose-to").select_option(option.get_attribute("value"))
    page.get_by_test_id("compose-text").fill(MESSAGE)
    page.get_by_test_id("compose-send").click()
    queued = page.get_by_test_id("queued-message")
    queued.wait_for()
    assert queued.get_attribute("data-state") == "queued"
    # The submission with a 5 MB PDF.
    page.goto(f"{base}/#/assignments/{assignment}")
    page.get_by_test_id("draft-files").set_input_files(
        {"name": "Эссе 3NF.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_test_id("local-file").wait_for()
    assert "PDF" in page.locator("#draft-files-hint").inner_text()
    page.get_by_test_id("submit-final").click()
    page.get_by_test_id("queued-submission").wait_for()

    # A reload while off-line: the network is gone for the service worker too (a file it has
    # not cached fails), so the page comes from its cache.
    probe = "fetch('/js/app.js?probe=1').then(() => 'network', () => 'failed')"
    assert page.evaluate(probe) == "failed"
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.get_by_test_id("queued-submission").wait_for()
    assert page.get_by_test_id("queued-submission").get_attribute("data-state") == "queued"
    assert "Эссе 3NF.pdf" in page.get_by_test_id("queued-submission").inner_text()
    wait_for(lambda: page.get_by_test_id("nav-queued").get_attribute("data-count") == "2")
    shoot(page, "offline-03-student-submission-queued")
    page.goto(f"{base}/#/inbox")
    page.get_by_test_id("queued-message").wait_for()
    assert MESSAGE in page.get_by_test_id("outbox-list").inner_text()
    shoot(page, "offline-04-student-message-queued")
    assert db_value(live, select(func.count()).where(InboxMessage.text == MESSAGE)) == 0

    # Back on-line: the outbox sends both, once.
    browsers.student.set_offline(False)
    wait_for(lambda: page.get_by_test_id("nav-queued").get_attribute("data-count") == "0", 30)
    page.get_by_test_id("inbox-outbox").wait_for(state="hidden")

    # The tutor's open pages show them without a reload.
    inbox = browsers.inbox
    row = inbox.locator("[data-testid=conversation-list] > li[data-unread='1']")
    row.wait_for(timeout=15_000)
    shoot(inbox, "offline-05-tutor-inbox-new")
    row.locator("a").click()
    inbox.get_by_text(MESSAGE).wait_for()
    assert inbox.locator("[data-testid=message-list] > li", has_text=MESSAGE).count() == 1
    shoot(inbox, "offline-06-tutor-conversation")
    roster = browsers.roster
    student_id = db_value(live, select(Person.id).where(Person.login == STUDENT))
    student_row = roster.get_by_test_id(f"roster-row-{student_id}")
    wait_for(lambda: student_row.get_attribute("data-status") == "submitted", 15)
    shoot(roster, "offline-07-tutor-roster-submitted")

    # Exactly once, with the right file.
    assert db_value(live, select(func.count()).where(InboxMessage.text == MESSAGE)) == 1
    roster_data = fetch_json(roster, f"/api/assignments/{assignment}/submissions")
    mine = next(s for s in roster_data["students"] if s["student"]["id"] == student_id)
    assert mine["versions"] == 1
    submission = fetch_json(roster, f"/api/submissions/{mine['submission_id']}")
    assert len(submission["versions"]) == 1
    assert [(f["name"], f["size"], f["sha256"]) for f in submission["versions"][0]["files"]] == [
        ("Эссе 3NF.pdf", len(PDF), PDF_SHA)
    ]
    versions = select(func.count()).where(
        SubmissionVersion.idempotency_key == submission["versions"][0]["idempotency_key"]
    )
    assert db_value(live, versions) == 1
    # The student's receipt shows the file and its SHA-256.
    page.goto(f"{base}/#/assignments/{assignment}")
    page.get_by_test_id("receipt-1").wait_for()
    assert page.get_by_test_id("receipt-sha").inner_text() == PDF_SHA
    shoot(page, "offline-08-student-receipt", full_page=True)
    assert browsers.errors == []


def test_the_inbox_and_assignments_pages_pass_the_accessibility_audit(
    browsers: Browsers, live: LiveServer
) -> None:
    page = browsers.page
    page.goto(f"{live.base_url}/#/inbox")
    page.get_by_test_id("compose-to").wait_for()
    assert audit(page) == []
    conversation = page.locator("[data-testid=conversation-list] a").first
    conversation.click()
    page.get_by_text(MESSAGE).wait_for()
    assert audit(page) == []
    shoot(page, "offline-09-student-conversation")
    page.goto(f"{live.base_url}/#/assignments")
    page.get_by_test_id("assignment-list").locator("li").first.wait_for()
    assert audit(page) == []
    shoot(page, "offline-10-student-assignments")
    page.goto(f"{live.base_url}/#/assignments/{browsers.state['assignment']}")
    page.get_by_test_id("receipt-1").wait_for()
    assert audit(page) == []
