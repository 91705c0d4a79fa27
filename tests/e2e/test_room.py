"""A lecture in real Chromium: a tutor and two students through the SFU on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from tests.e2e.kit import BUNDLES, LiveServer, audit, launch, shoot, sign_in, wait_for

pytestmark = pytest.mark.browser
LECTURE = "Лекция 5. Нормальные формы"
# What anyone can type into the browser's console: catch the room's WebSocket as the page's next
# keep-alive ping goes out on it (nothing is exposed for this).
GRAB_ROOM_SOCKET = """() => {
  window.consoleGrab = new Promise((resolve) => {
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      WebSocket.prototype.send = send;
      window.consoleSocket = this;
      resolve(this.url);
      return send.call(this, data);
    };
  });
}"""
# ... then send messages on it and collect the server's replies to them (by ref).
SEND_AND_COLLECT = """(messages) => new Promise((resolve, reject) => {
  const socket = window.consoleSocket;
  const replies = {};
  const timer = setTimeout(() => reject(new Error(`replies: ${JSON.stringify(replies)}`)), 10000);
  socket.addEventListener("message", (event) => {
    const reply = JSON.parse(event.data);
    if (!messages.some((m) => m.ref === reply.ref)) return;
    replies[reply.ref] = reply;
    if (Object.keys(replies).length === messages.length) {
      clearTimeout(timer);
      resolve(replies);
    }
  });
  for (const message of messages) socket.send(JSON.stringify(message));
})"""


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
        shoot(self.page, f"room-{name}")

    def received(self, publisher: str, label: str) -> int:
        """Frames decoded (video) or bytes received (audio) of one track so far."""
        entry = self.inbound(publisher, label) or {}
        return int(entry.get("bytesReceived" if label == "microphone" else "framesDecoded", 0))

    def flowing(self, *tracks: tuple[str, str], timeout: float = 20) -> None:
        """Each (publisher, label) track plays here, and frames or audio bytes keep arriving."""
        for publisher, label in tracks:
            if label != "microphone":
                wait_for(lambda t=f"video-{publisher}-{label}": self.video_width(t) > 0, timeout)

        def counts() -> list[int]:
            inbound = {(e["participant_id"], e["label"]): e for e in self.stats()["inbound"]}
            return [
                int(
                    inbound.get(track, {}).get(
                        "bytesReceived" if track[1] == "microphone" else "framesDecoded", 0
                    )
                )
                for track in tracks
            ]

        first = wait_for(lambda: all(counts()) and counts(), timeout)
        # A screen share sends a frame only when the picture changes: one more is enough.
        more = [{"microphone": 2000, "camera": 5, "screen": 1}[label] for _, label in tracks]
        wait_for(
            lambda: all(n > f + m for n, f, m in zip(counts(), first, more, strict=True)), timeout
        )


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
    return person.received(publisher, label)


def test_students_decode_the_tutors_video_and_audio(lecture: dict[str, Person]) -> None:
    tutor = lecture["tutor"].participant_id
    for key in ("s1", "s2"):
        student = lecture[key]
        student.flowing((tutor, "camera"), (tutor, "microphone"))
        assert (student.inbound(tutor, "microphone") or {}).get("kind") == "audio"
        student.shot(f"01-joined-{key}")
    outbound = lecture["tutor"].stats()["outbound"]
    assert {entry["label"] for entry in outbound} == {"camera", "microphone"}
    lecture["tutor"].shot("01-joined-tutor")


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
        student.shot(f"02-screen-{key}")
    tutor.shot("02-screen-tutor")


def test_a_raised_hand_is_announced_and_the_floor_shows_the_student(
    lecture: dict[str, Person],
) -> None:
    tutor, s1, s2 = lecture["tutor"], lecture["s1"], lecture["s2"]
    s1.page.get_by_test_id("control-hand").click()
    tutor.page.get_by_test_id(f"hand-{s1.participant_id}").wait_for()
    events = tutor.page.get_by_test_id("room-events")
    assert events.get_attribute("aria-live") == "polite"
    wait_for(lambda: "Алия" in events.inner_text())
    tutor.shot("03-hand-tutor")
    tutor.page.get_by_test_id(f"floor-{s1.participant_id}").click()
    for viewer in (s2, tutor):
        wait_for(lambda v=viewer: v.video_width(f"video-{s1.participant_id}-camera") > 0, 20)
        wait_for(lambda v=viewer: frames_decoded(v, s1.participant_id, "camera") > 3)
    assert s1.page.get_by_test_id("control-mic").is_visible()
    tutor.shot("04-floor-tutor")
    s1.shot("04-floor-s1")


def test_a_student_reloads_the_page_and_is_back_in_the_room(lecture: dict[str, Person]) -> None:
    tutor, s1, s2 = lecture["tutor"], lecture["s1"], lecture["s2"]
    before, url = s2.participant_id, s2.page.url
    s2.page.reload()
    s2.page.get_by_test_id("controls").wait_for()
    assert s2.page.url == url
    again = wait_for(lambda: s2.page.evaluate("window.sabaq?.participantId?.()"))
    assert again == before, "the same participant"
    s2.flowing(
        (tutor.participant_id, "camera"),
        (tutor.participant_id, "microphone"),
        (tutor.participant_id, "screen"),
        (s1.participant_id, "camera"),
    )
    wait_for(lambda: tutor.page.get_by_test_id(f"participant-{before}").is_visible())
    assert s2.page.get_by_test_id("room-ended").is_hidden()
    s2.shot("05-reloaded-s2")


def test_the_room_with_live_video_in_each_language(lecture: dict[str, Person]) -> None:
    s1, tutor = lecture["s1"], lecture["tutor"].participant_id
    page = s1.page
    leave, people = page.get_by_test_id("control-leave"), page.get_by_test_id("control-people")
    # Kazakh is the default; the switch goes through Russian and English and back to Kazakh.
    assert leave.inner_text() == BUNDLES["kk"]["room.leave"]
    for code in ("ru", "en", "kk"):
        page.get_by_test_id("language-select").select_option(code)
        wait_for(lambda c=code: leave.inner_text() == BUNDLES[c]["room.leave"])
        assert people.inner_text() == BUNDLES[code]["room.people"]
        assert page.get_by_test_id("room-kind").inner_text() == BUNDLES[code]["kind.lecture"]
        assert page.locator("#events-heading").inner_text() == BUNDLES[code]["room.activity"]
        assert page.locator("html").get_attribute("lang") == code
        s1.flowing((tutor, "camera"))
        assert s1.video_width(f"video-{tutor}-screen") > 0
        s1.shot(f"06-language-{code}")


def visible(page: Page, prefix: str) -> int:
    return page.locator(f"[data-testid^='{prefix}']:visible").count()


def test_a_student_has_no_tutor_controls_and_the_console_is_refused(
    lecture: dict[str, Person],
) -> None:
    tutor, s1, s2 = lecture["tutor"], lecture["s1"], lecture["s2"]
    s2.page.evaluate(GRAB_ROOM_SOCKET)  # the console, armed now: the next ping is caught
    # The participants panel is open on both; the tutor has per-person controls there.
    for prefix in ("floor-", "mute-", "remove-"):
        assert visible(tutor.page, prefix) > 0
        assert visible(s2.page, prefix) == 0
    for testid in ("control-lock", "control-mute_all", "control-end"):
        assert tutor.page.get_by_test_id(testid).is_visible()
        assert s2.page.get_by_test_id(testid).is_hidden()
    s2.shot("07-no-tutor-controls-s2")
    # The chat: a message to delete, the tutor's delete buttons and the student-chat switch.
    tutor.page.get_by_test_id("control-chat").click()
    tutor.page.get_by_test_id("chat-input").fill("Сұрақтарыңыз бар ма?")
    tutor.page.get_by_test_id("chat-input").press("Enter")
    s2.page.get_by_test_id("control-chat").click()
    said = s2.page.locator("[data-testid=chat-list] > li.chat-item", has_text="Сұрақтарыңыз")
    said.wait_for()
    said_id = int(said.get_attribute("data-id") or 0)
    tutor.page.get_by_test_id(f"chat-delete-{said_id}").wait_for()
    assert tutor.page.get_by_test_id("chat-students-toggle").is_visible()
    assert visible(s2.page, "chat-delete-") == 0
    for testid in ("chat-students-toggle", "chat-announce"):
        assert s2.page.get_by_test_id(testid).is_hidden()

    # The console: the moderation messages straight over the student's own room WebSocket.
    assert s2.page.evaluate("window.consoleGrab").endswith("/signal")
    attempts: list[dict[str, Any]] = [
        {"type": "moderate", "action": "mute", "participant_id": tutor.participant_id},
        {"type": "moderate", "action": "mute_all"},
        {"type": "moderate", "action": "lock"},
        {"type": "moderate", "action": "remove", "participant_id": s1.participant_id},
        {"type": "moderate", "action": "end"},
        {"type": "floor", "participant_id": s2.participant_id, "granted": True},
        {"type": "floor", "participant_id": s1.participant_id, "granted": False},
        {"type": "lower_hand", "participant_id": s1.participant_id},
        {"type": "chat_delete", "id": said_id, "nonce": "console-delete"},
        {"type": "chat_students", "enabled": False, "nonce": "console-students"},
    ]
    for number, attempt in enumerate(attempts):
        attempt["ref"] = f"console-{number}"
    replies = s2.page.evaluate(SEND_AND_COLLECT, attempts)
    assert {ref: (r["type"], r["code"]) for ref, r in replies.items()} == {
        a["ref"]: ("error", "forbidden") for a in attempts
    }
    notice = s2.page.get_by_test_id("room-notice")
    wait_for(lambda: notice.inner_text() == BUNDLES["kk"]["notice.forbidden"])
    # Nothing changed for anyone: give a wrongly applied action time to arrive, then look.
    tutor.page.wait_for_timeout(400)
    for person in (tutor, s1):
        assert person.page.get_by_test_id("control-mic").get_attribute("aria-pressed") == "true"
    for person in (tutor, s1, s2):
        assert person.page.get_by_test_id("room-locked").is_hidden()
        assert person.page.get_by_test_id("room-ended").is_hidden()
        assert person.page.get_by_test_id("controls").is_visible()
        text = person.page.get_by_test_id(f"chat-message-{said_id}").text_content() or ""
        assert "Сұрақтарыңыз бар ма?" in text
        assert BUNDLES["kk"]["chat.deleted"] not in text
    assert tutor.page.get_by_test_id("chat-students-toggle").is_checked()
    assert s2.page.get_by_test_id("chat-state").is_hidden()
    assert s2.page.get_by_test_id("control-mic").is_hidden(), "no floor for the student"
    tutor.flowing((s1.participant_id, "camera"))
    s2.flowing((tutor.participant_id, "microphone"))
    s2.shot("08-console-refused-s2")
    tutor.shot("08-console-refused-tutor")
    for person in (tutor, s2):
        person.page.get_by_test_id("control-people").click()
        person.page.get_by_test_id("participants-panel").wait_for()


def test_a_dropped_network_shows_the_banner_and_the_room_rejoins(
    lecture: dict[str, Person],
) -> None:
    s2, tutor = lecture["s2"], lecture["tutor"].participant_id
    banner = s2.page.get_by_test_id("reconnecting-banner")
    s2.context.set_offline(True)
    try:
        banner.wait_for(state="visible", timeout=20_000)
        assert banner.inner_text() == BUNDLES["kk"]["room.reconnecting"]
        s2.shot("09-offline-s2")
    finally:
        s2.context.set_offline(False)
    banner.wait_for(state="hidden", timeout=20_000)
    before = frames_decoded(s2, tutor, "camera")
    wait_for(lambda: frames_decoded(s2, tutor, "camera") > before + 5, 20)
    assert s2.video_width(f"video-{tutor}-camera") > 0
    s2.shot("09-rejoined-s2")


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
    s1.shot("10-muted-s1")

    tutor.page.get_by_test_id("control-lock").click()
    s2.page.get_by_test_id("room-locked").wait_for()
    s2.shot("11-locked-s2")
    tutor.page.get_by_test_id(f"remove-{s2.participant_id}").click()
    ended = s2.page.get_by_test_id("room-ended")
    ended.wait_for()
    assert BUNDLES["kk"]["room.ended_removed"] in ended.inner_text()
    s2.shot("12-removed-s2")

    tutor.page.get_by_test_id("control-end").click()
    tutor.page.get_by_test_id("end-confirm").click()
    s1.page.get_by_test_id("room-ended").wait_for()
    assert BUNDLES["en"]["room.ended_ended"] in s1.page.get_by_test_id("room-ended").inner_text()
    tutor.page.get_by_test_id("room-ended").wait_for()
    # The tutor can take the attendance report and the chat away from the ended room.
    assert tutor.page.get_by_test_id("ended-attendance-xlsx").get_attribute("href") == (
        f"/api/sessions/{tutor.page.url.rsplit('/', 1)[-1]}/attendance?format=xlsx"
    )
    assert tutor.page.get_by_test_id("ended-chat-csv").is_visible()
    s1.shot("13-ended-s1")
    tutor.shot("13-ended-tutor")
