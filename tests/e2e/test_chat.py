"""Room chat, the live attendance roster and the attendance download in real Chromium: a tutor
and one student in a lecture (both audio-only, to keep the machine free for the chat)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import BrowserContext, Locator, Page, Playwright

from tests.e2e.kit import (
    BUNDLES,
    LiveServer,
    audit,
    launch,
    open_now,
    shoot,
    sign_in,
    wait_for,
)

pytestmark = pytest.mark.browser
STUDENT_NAME = "Алия Нуржанова"
# Test-only hooks on the page's WebSockets: drop chosen frames, and reach the open sockets.
SOCKET_HOOKS = """
window.__wsHooks = { sockets: [], dropIn: null, dropOut: null };
const NativeSocket = window.WebSocket;
window.WebSocket = class extends NativeSocket {
  constructor(...args) { super(...args); window.__wsHooks.sockets.push(this); }
  send(data) {
    if (window.__wsHooks.dropOut && data.includes(window.__wsHooks.dropOut)) return;
    super.send(data);
  }
  addEventListener(type, listener, options) {
    if (type !== "message") return super.addEventListener(type, listener, options);
    return super.addEventListener(type, (event) => {
      const drop = window.__wsHooks.dropIn;
      if (drop && drop.some((part) => event.data.includes(part))) return;
      listener(event);
    }, options);
  }
};
"""


@dataclass
class Person:
    login: str
    context: BrowserContext
    page: Page
    participant_id: str = ""
    dialogs: list[str] = field(default_factory=list)

    def shot(self, name: str) -> None:
        shoot(self.page, f"chat-{name}")

    def messages(self) -> Locator:
        return self.page.locator("[data-testid=chat-list] > li.chat-item")

    def say(self, text: str) -> None:
        box = self.page.get_by_test_id("chat-input")
        box.fill(text)
        box.press("Enter")


def enter(person: Person, base_url: str, session_id: int) -> None:
    person.page.goto(f"{base_url}/#/lobby/{session_id}")
    person.page.get_by_test_id("audio-only").check()
    person.page.get_by_test_id("lobby-join").click()
    person.page.get_by_test_id("controls").wait_for()
    person.participant_id = wait_for(
        lambda: person.page.evaluate("window.sabaq.participantId && window.sabaq.participantId()")
    )


@pytest.fixture(scope="module")
def lecture_id(live: LiveServer) -> int:
    return open_now(live, "lecture")


@pytest.fixture(scope="module")
def people(
    live: LiveServer, playwright: Playwright, chromium: str, e2e_dir: Path, lecture_id: int
) -> Iterator[dict[str, Person]]:
    found: dict[str, Person] = {}
    try:
        for key, login in (("tutor", "tutor.akhmetova"), ("student", "student1.1")):
            context = launch(playwright, e2e_dir / f"chat-{key}", chromium)
            context.add_init_script(SOCKET_HOOKS)
            person = Person(login, context, context.pages[0])
            person.page.on("dialog", lambda dialog, p=person: p.dialogs.append(dialog.message))
            sign_in(person.page, live.base_url, login)
            found[key] = person
        enter(found["tutor"], live.base_url, lecture_id)
        yield found
    finally:
        for person in found.values():
            person.context.close()


def roster_row(page: Page, name: str) -> Locator:
    return page.locator("[data-testid=attendance-roster] > li", has_text=name)


def test_the_live_roster_shows_the_student_join(
    people: dict[str, Person], live: LiveServer, lecture_id: int
) -> None:
    tutor, student = people["tutor"], people["student"]
    tutor.page.get_by_test_id("control-attendance").click()
    row = roster_row(tutor.page, STUDENT_NAME)
    row.wait_for()
    assert row.get_attribute("data-connected") == "false"
    enter(student, live.base_url, lecture_id)
    wait_for(lambda: row.get_attribute("data-connected") == "true", 12)
    assert BUNDLES["kk"]["attendance.connected"] in row.inner_text()
    tutor.shot("01-roster-tutor")


def test_a_students_message_reaches_the_tutor(people: dict[str, Person]) -> None:
    tutor, student = people["tutor"], people["student"]
    student.page.get_by_test_id("control-chat").click()
    counter = student.page.get_by_test_id("chat-counter")
    student.page.get_by_test_id("chat-input").fill("Сәлем")
    assert counter.inner_text() == "5 / 2000"
    student.say("Сәлем, апай! Материал: https://example.org/notes?id=5.")
    # The tutor has the attendance panel open: an unread badge and a polite announcement.
    badge = tutor.page.get_by_test_id("chat-unread")
    wait_for(lambda: badge.is_visible() and badge.inner_text() == "1")
    announcer = tutor.page.get_by_test_id("chat-announcer")
    assert announcer.get_attribute("aria-live") == "polite"
    wait_for(lambda: "Сәлем, апай!" in announcer.inner_text())
    tutor.page.get_by_test_id("control-chat").click()
    assert badge.is_hidden()
    message = tutor.messages().filter(has_text="Сәлем, апай!")
    message.wait_for()
    assert STUDENT_NAME in message.inner_text()
    link = message.locator("a")
    assert link.get_attribute("href") == "https://example.org/notes?id=5"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert link.get_attribute("target") == "_blank"
    wait_for(lambda: student.page.get_by_test_id("chat-sending").count() == 0)
    assert counter.inner_text() == "0 / 2000"
    tutor.shot("02-message-tutor")


def test_markup_in_a_message_stays_text(people: dict[str, Person]) -> None:
    tutor, student = people["tutor"], people["student"]
    payloads = ["<script>alert(1)</script>", "<b>html</b>", "<img src=x onerror=alert(2)>"]
    for text in payloads:
        student.say(text)
    for text in payloads:
        tutor.messages().filter(has_text=text).wait_for()
    texts = tutor.page.locator("[data-testid=chat-list] [data-testid=chat-text]").all_inner_texts()
    assert all(text in texts for text in payloads)
    chat = tutor.page.get_by_test_id("chat-list")
    assert chat.locator("b, script, img").count() == 0
    tutor.page.wait_for_timeout(300)
    assert tutor.dialogs == [] and student.dialogs == []
    tutor.shot("03-markup-tutor")


def test_the_tutor_pins_deletes_and_turns_student_chat_off(people: dict[str, Person]) -> None:
    tutor, student = people["tutor"], people["student"]
    tutor.page.get_by_test_id("chat-announce").check()
    tutor.say("Үзіліс 10 минут")
    pinned = student.page.get_by_test_id("chat-pinned")
    wait_for(lambda: "Үзіліс 10 минут" in pinned.inner_text())

    doomed = tutor.messages().filter(has_text="<b>html</b>")
    doomed_id = doomed.get_attribute("data-id")
    tutor.page.get_by_test_id(f"chat-delete-{doomed_id}").click()
    gone = student.page.get_by_test_id(f"chat-message-{doomed_id}")
    wait_for(lambda: gone.inner_text().endswith(BUNDLES["kk"]["chat.deleted"]))
    assert student.page.get_by_test_id(f"chat-delete-{doomed_id}").count() == 0

    tutor.page.get_by_test_id("chat-students-toggle").uncheck()
    state = student.page.get_by_test_id("chat-state")
    wait_for(lambda: state.inner_text() == BUNDLES["kk"]["chat.state_off_student"])
    # "Everyone" is off for the student: the composer writes privately to the tutor.
    recipient = student.page.get_by_test_id("chat-to")
    assert recipient.input_value() == tutor.participant_id
    student.say("Жеке сұрақ")
    private = tutor.messages().filter(has_text="Жеке сұрақ")
    private.wait_for()
    assert BUNDLES["kk"]["chat.private_to_you"] in private.inner_text()
    tutor.page.get_by_test_id("chat-students-toggle").check()
    wait_for(lambda: state.is_hidden())
    student.shot("04-moderated-student")
    tutor.shot("04-moderated-tutor")


def reconnect(person: Person) -> None:
    """Closes the page's signalling socket as a network drop would; the room rejoins."""
    person.page.evaluate("window.__wsHooks.sockets.at(-1).close(3000)")
    banner = person.page.get_by_test_id("reconnecting-banner")
    wait_for(
        lambda: (
            banner.is_hidden()
            and person.page.evaluate("window.__wsHooks.sockets.at(-1).readyState === 1")
        )
    )


def test_an_unacknowledged_message_is_resent_after_a_reconnect_and_arrives_once(
    people: dict[str, Person],
) -> None:
    tutor, student = people["tutor"], people["student"]
    sending = student.page.get_by_test_id("chat-sending")
    student.page.get_by_test_id("chat-to").select_option("")
    # 1. The message never leaves: it waits as "sending…" and goes out after the rejoin.
    student.page.evaluate("window.__wsHooks.dropOut = 'Жоғалған хат'")
    student.say("Жоғалған хат")
    assert sending.is_visible()
    student.page.evaluate("window.__wsHooks.dropOut = null")
    reconnect(student)
    wait_for(lambda: sending.count() == 0)
    # 2. The server stores it but the answer is lost: the resend (same nonce) is no second copy.
    student.page.evaluate("window.__wsHooks.dropIn = ['chat_ack', 'Екі рет емес']")
    student.say("Екі рет емес")
    tutor.messages().filter(has_text="Екі рет емес").wait_for()
    assert sending.is_visible()
    student.page.evaluate("window.__wsHooks.dropIn = null")
    reconnect(student)
    wait_for(lambda: sending.count() == 0)
    for text in ("Жоғалған хат", "Екі рет емес"):
        for viewer in (tutor, student):
            wait_for(lambda v=viewer, t=text: v.messages().filter(has_text=t).count() == 1)
    tutor.page.wait_for_timeout(500)
    assert tutor.messages().filter(has_text="Екі рет емес").count() == 1
    ids = tutor.page.locator("[data-testid=chat-list] > li").evaluate_all(
        "(items) => items.map((li) => li.dataset.testid)"
    )
    assert len(ids) == len(set(ids)), "every entry once"
    student.shot("05-resent-student")


def test_raised_hands_are_listed_in_order_and_lowered(people: dict[str, Person]) -> None:
    tutor, student = people["tutor"], people["student"]
    tutor.page.get_by_test_id("control-people").click()
    student.page.get_by_test_id("control-people").click()
    student.page.get_by_test_id("control-hand").click()
    queue = tutor.page.get_by_test_id(f"hand-queue-{student.participant_id}")
    queue.wait_for()
    first = tutor.page.locator("[data-testid=hands-list] > li").first
    assert first.get_attribute("data-testid") == f"hand-queue-{student.participant_id}"
    tutor.shot("06-hands-tutor")
    student.page.get_by_test_id("lower-own-hand").click()
    queue.wait_for(state="detached")
    student.page.get_by_test_id("control-hand").click()
    tutor.page.get_by_test_id(f"lower-hand-{student.participant_id}").click()
    queue.wait_for(state="detached")
    wait_for(
        lambda: student.page.get_by_test_id("control-hand").get_attribute("aria-pressed") == "false"
    )
    student.page.get_by_test_id("control-chat").click()
    tutor.page.get_by_test_id("control-chat").click()


def test_the_room_with_the_chat_open_passes_the_accessibility_audit(
    people: dict[str, Person],
) -> None:
    for key in ("tutor", "student"):
        assert audit(people[key].page) == []


def test_the_roster_shows_the_student_leave_and_the_tutor_downloads_xlsx(
    people: dict[str, Person], e2e_dir: Path
) -> None:
    tutor, student = people["tutor"], people["student"]
    tutor.page.get_by_test_id("control-attendance").click()
    row = roster_row(tutor.page, STUDENT_NAME)
    wait_for(lambda: row.get_attribute("data-connected") == "true")
    student.page.get_by_test_id("control-leave").click()
    wait_for(lambda: row.get_attribute("data-connected") == "false", 12)
    assert BUNDLES["kk"]["attendance.not_connected"] in row.inner_text()

    with tutor.page.expect_download() as info:
        tutor.page.get_by_test_id("attendance-xlsx").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = e2e_dir / download.suggested_filename
    download.save_as(target)
    sheet = load_workbook(target).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    found = [r for r in rows[1:] if r[0] == STUDENT_NAME]
    assert len(found) == 1, rows
    assert found[0][header.index("login")] == "student1.1"
    assert found[0][header.index("connected")] == 0
    tutor.shot("07-left-tutor")


def test_the_attendance_page_opens_from_the_schedule(
    people: dict[str, Person], lecture_id: int
) -> None:
    tutor = people["tutor"]
    tutor.page.get_by_test_id("control-leave").click()
    tutor.page.get_by_test_id(f"attendance-link-{lecture_id}").click()
    row = roster_row(tutor.page, STUDENT_NAME)
    row.wait_for()
    assert row.get_attribute("data-connected") == "false"
    assert tutor.page.get_by_test_id("attendance-xlsx").get_attribute("href") == (
        f"/api/sessions/{lecture_id}/attendance?format=xlsx"
    )
    assert audit(tutor.page) == []
    tutor.shot("08-attendance-page")
