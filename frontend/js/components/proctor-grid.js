// The proctor's grid for one exam (#/proctor/{session}): identity checks waiting in this exam,
// every student's camera and screen live with their state and status, live flags, one student
// opened large with the proctor's actions, the exam room's chat, and the exam's rules (set by its
// tutor or staff, read-only for proctors).

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { h } from "../dom.js";
import { formatTime, tr } from "../i18n.js";
import { openMedia } from "../media.js";
import { base } from "../proctoring/api.js";
import { ExamRulesPanel } from "../proctoring/exam-rules.js";
import { ExamRoom } from "../proctoring/exam-room.js";
import { identityCard } from "../proctoring/identity.js";
import { StudentTile } from "../proctoring/student-tile.js";
import { ChatPanel } from "../room/chat-panel.js";
import { FocusPanel } from "./proctor-student.js";

const ROSTER_EVERY_MS = 10000;
const STATUS_EVERY_MS = 5000;
const LOG_LIMIT = 60;

class ProctorGrid extends HTMLElement {
  connectedCallback() {
    this.sessionId = Number(this.getAttribute("session-id"));
    this.person = currentPerson();
    this.tiles = new Map(); // student id -> StudentTile
    this.talkingTo = null;
    this.room = new ExamRoom(this.sessionId, this.person?.id ?? null);
    this.build();
    this.wire();
    this.room.start();
    this.load();
    this.timers = [setInterval(() => this.loadRoster(), ROSTER_EVERY_MS),
      setInterval(() => this.refreshStatus(), STATUS_EVERY_MS)];
    this.onUnload = () => this.room.leave();
    window.addEventListener("pagehide", this.onUnload);
  }

  disconnectedCallback() {
    window.removeEventListener("pagehide", this.onUnload);
    for (const timer of this.timers) clearInterval(timer);
    if (this.talkingTo) this.room.send({ type: "talk_to", person_id: null });
    this.chatPanel.destroy();
    this.room.leave();
  }

  build() {
    this.titleEl = h("p", { class: "lead", "data-testid": "grid-title" });
    this.summary = h("p", { class: "grid-summary", "data-testid": "grid-summary" });
    this.notice = h("p", { class: "notice", role: "status", "data-testid": "grid-notice" });
    this.connection = tr(h("p", { class: "banner", role: "status", hidden: true }),
      "proctoring.reconnecting");
    this.talkBanner = h("p", { class: "talk-banner", role: "status", hidden: true,
      "data-testid": "talking-banner" });
    this.identity = h("div", { class: "id-list" });
    this.identityBox = h("section", { class: "grid-identity", hidden: true,
      "aria-labelledby": "grid-identity-heading", "data-testid": "grid-identity" },
    tr(h("h2", { id: "grid-identity-heading" }), "proctoring.identity_title"), this.identity);
    this.grid = h("ul", { class: "grid", role: "list", "data-testid": "grid" });
    this.focus = new FocusPanel(this.sessionId, {
      close: () => this.focus.close(),
      talk: (tile, on) => this.talk(tile, on),
      write: (tile) => this.write(tile),
      changed: (checkin) => this.changed(checkin),
      notice: (key, args) => tr(this.notice, key, args),
    });
    this.log = h("ol", { class: "event-log", "data-testid": "grid-log" });
    this.rules = new ExamRulesPanel(this.sessionId);
    this.chatPanel = new ChatPanel(this.room);
    this.append(h("section", { class: "page proctor-page wide", "aria-labelledby": "grid-heading" },
      h("div", { class: "page-head grid-head" },
        h("div", {},
          tr(h("h1", { id: "grid-heading", tabindex: "-1" }), "proctoring.grid_title"),
          this.titleEl),
        h("div", { class: "grid-links" }, this.summary,
          tr(h("a", { href: "#/proctor", class: "button small", "data-testid": "grid-queue" }),
            "proctoring.queue_title"))),
      this.rules.el, this.connection, this.talkBanner, this.notice, this.identityBox, this.focus.el,
      h("div", { class: "grid-body" },
        h("section", { class: "grid-wrap", "aria-labelledby": "grid-students-heading" },
          tr(h("h2", { id: "grid-students-heading", class: "visually-hidden" }),
            "proctoring.students"),
          this.grid),
        h("aside", { class: "grid-side" },
          h("section", { class: "side-panel", "aria-labelledby": "grid-log-heading" },
            tr(h("h2", { id: "grid-log-heading" }), "proctoring.live_flags"),
            h("div", { role: "log", "aria-live": "polite", "aria-labelledby": "grid-log-heading",
              "data-testid": "grid-log-region" }, this.log)),
          this.chatPanel.el))));
  }

  wire() {
    this.room.addEventListener("message", (event) => this.onMessage(event.detail));
    this.room.addEventListener("slots", (event) => this.onSlots(event.detail));
    this.room.addEventListener("state", (event) => {
      this.connection.hidden = event.detail.state !== "reconnecting";
    });
    this.room.addEventListener("ended", (event) => {
      tr(this.notice, event.detail?.code === 4409 ? "proctoring.room_not_open"
        : "proctoring.room_closed");
    });
    this.room.addEventListener("notice", (event) => {
      tr(this.notice, "proctoring.action_failed", { reason: event.detail?.message ?? "" });
    });
    this.room.chat.addEventListener("change", () => this.chatPanel.render());
  }

  async load() {
    try {
      this.session = await api(`/api/sessions/${this.sessionId}`);
      this.titleEl.textContent = this.session.title;
      this.zone = this.session.local?.timezone;
      this.chatPanel.setInfo({ tutorId: this.session.tutor_id,
        tutorName: this.session.tutor_name, zone: this.zone });
    } catch (error) {
      tr(this.notice, "proctoring.load_failed_reason", { reason: error.message });
      return;
    }
    this.rules.load(this.session, this.person);
    // The students list carries each student's flags so far (count, latest time and kind), so
    // flags raised before this page opened set the initial status without opening any review.
    await this.loadRoster();
  }

  async loadRoster() {
    let rows;
    const rulesVersion = this.rules.version;
    try {
      const roster = await api(`${base(this.sessionId)}/students`);
      rows = roster.students;
      this.rules.sync(roster.speech_allowed, rulesVersion);
    } catch (error) {
      tr(this.notice, "proctoring.load_failed_reason", { reason: error.message });
      return;
    }
    for (const row of rows) {
      const tile = this.tiles.get(row.student_id);
      if (tile) tile.update(row);
      else {
        const created = new StudentTile(row, (picked) => this.open(picked));
        created.zone = this.zone;
        this.tiles.set(row.student_id, created);
        this.grid.append(created.el);
      }
    }
    this.renderIdentity(rows.filter((row) => row.state === "awaiting_identity"));
    this.refreshStatus();
  }

  renderIdentity(rows) {
    const key = rows.map((row) => `${row.student_id}/${row.submitted_at}`).join(",");
    if (key === this.identityKey) return;
    this.identityKey = key;
    this.identity.replaceChildren(...rows.map((row) => identityCard(row,
      (checkin) => this.changed(checkin), this.zone)));
    this.identityBox.hidden = rows.length === 0;
  }

  changed(checkin) {
    this.tiles.get(checkin.student_id)?.update(checkin);
    if (checkin.state !== "awaiting_identity") this.loadRoster();
    if (this.focus.tile?.id === checkin.student_id) this.focus.render();
    this.refreshStatus();
  }

  onMessage(message) {
    if (message.type === "proctoring_flag") {
      const tile = this.tiles.get(message.student_id);
      tile?.addFlag(message.flag);
      this.logFlag(tile, message.flag);
      if (this.focus.tile === tile) this.focus.render();
      this.refreshStatus();
    } else if (message.type === "exam_state" && message.student_id !== undefined) {
      const tile = this.tiles.get(message.student_id);
      if (tile) tile.update({ state: message.state });
      if (message.state === "awaiting_identity" || !tile) this.loadRoster();
      if (this.focus.tile === tile) this.focus.render();
      this.refreshStatus();
    } else if (message.type === "talk_to" && message.person_id === null && this.talkingTo) {
      this.endTalk(); // the student left: the server ended the talk
    } else if (["joined", "participant_joined", "participant_left", "participant_updated"]
      .includes(message.type)) {
      this.refreshStatus();
      this.chatPanel.render();
    }
  }

  onSlots(slots) {
    const byTile = new Map();
    for (const slot of slots) {
      const person = this.room.roster.people.get(slot.publisher_id)?.person_id;
      if (!this.tiles.has(person) || slot.kind !== "video") continue;
      if (!byTile.has(person)) byTile.set(person, new Map());
      byTile.get(person).set(slot.label, slot.track);
    }
    for (const [id, tile] of this.tiles) {
      const tracks = byTile.get(id) ?? new Map();
      for (const label of ["camera", "screen"]) tile.setTrack(label, tracks.get(label) ?? null);
    }
    this.focus.syncTracks();
    this.refreshStatus();
  }

  refreshStatus() {
    const here = new Set([...this.room.roster.people.values()]
      .filter((p) => !p.agent).map((p) => p.person_id));
    const counts = { ok: 0, attention: 0, disconnected: 0 };
    for (const tile of this.tiles.values()) {
      tile.connected = here.has(tile.id);
      tile.refresh();
      if (tile.statusName in counts) counts[tile.statusName] += 1;
    }
    tr(this.summary, "proctoring.summary", counts);
  }

  logFlag(tile, flag) {
    const item = h("li", { "data-kind": flag.kind },
      h("time", { datetime: flag.at }, formatTime(flag.at, this.zone)), " ",
      h("strong", {}, tile?.row.student_name ?? ""), " — ",
      tr(h("span", {}), `proctoring.flag_${flag.kind}`));
    this.log.prepend(item);
    while (this.log.children.length > LOG_LIMIT) this.log.lastElementChild.remove();
  }

  open(tile) {
    this.focus.open(tile, this.talkingTo === tile.id);
  }

  /** Private talk: the server routes this proctor's voice to one student (talk_to); the
   * microphone is published only while talking. */
  async talk(tile, on) {
    if (!on) {
      this.room.send({ type: "talk_to", person_id: null });
      await this.endTalk();
      return;
    }
    if (!this.room.send({ type: "talk_to", person_id: tile.id })) {
      tr(this.notice, "proctoring.not_in_room", { name: tile.row.student_name });
      return;
    }
    this.talkingTo = tile.id;
    tr(this.talkBanner, "proctoring.talking_to", { name: tile.row.student_name });
    this.talkBanner.hidden = false;
    this.focus.talking = true;
    if (this.focus.tile) this.focus.render();
    try {
      const stream = await openMedia({ audio: true, video: false });
      await this.room.setTrack("microphone", stream.getAudioTracks()[0]);
    } catch (error) {
      tr(this.notice, "proctoring.action_failed", { reason: error.message || error.reason });
    }
  }

  async endTalk() {
    this.talkingTo = null;
    this.talkBanner.hidden = true;
    this.focus.talking = false;
    if (this.focus.tile) this.focus.render();
    await this.room.removeTrack("microphone");
  }

  write(tile) {
    const participant = this.room.roster.byPerson(tile.id);
    if (!participant) {
      tr(this.notice, "proctoring.not_in_room", { name: tile.row.student_name });
      return;
    }
    this.chatPanel.writeTo(participant);
    this.chatPanel.el.scrollIntoView({ block: "nearest" });
  }
}

customElements.define("sabaq-proctor-grid", ProctorGrid);
