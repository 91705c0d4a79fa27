// The live room page: wires a RoomSession to the stage, the side panels (participants, chat,
// attendance) and the controls.

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { h } from "../dom.js";
import { has, t, tr } from "../i18n.js";
import { loadPrefs, takeHandedStream } from "../prefs.js";
import { go } from "../router.js";
import { AttendancePanel, downloadLinks } from "../room/attendance-panel.js";
import { ChatPanel } from "../room/chat-panel.js";
import { Controls } from "../room/controls.js";
import { ParticipantsPanel } from "../room/participants-panel.js";
import { RoomSession } from "../room/session.js";
import { quality } from "../room/stats.js";
import { Stage } from "../room/tiles.js";
import { RoomRecording } from "../recordings/room-recording.js";

const QUALITY_EVERY_MS = 2000;
const LOG_LIMIT = 50;
const SNIPPET = 160;
const MANAGERS = new Set(["admin", "staff"]);

class RoomView extends HTMLElement {
  connectedCallback() {
    this.sessionId = Number(this.getAttribute("session-id"));
    this.person = currentPerson();
    this.session = new RoomSession(this.sessionId, loadPrefs(), takeHandedStream(),
      this.person?.id ?? null);
    this.sidePanel = window.matchMedia("(min-width: 900px)").matches ? "people" : null;
    this.unread = 0;
    this.canManage = MANAGERS.has(this.person?.role);
    this.build();
    this.wire();
    window.sabaq.stats = () => this.session.stats();
    window.sabaq.participantId = () => this.session.roster.me;
    this.session.start();
    this.loadTitle();
    this.timer = window.setInterval(() => this.measure(), QUALITY_EVERY_MS);
    this.onUnload = () => this.session.leave();
    window.addEventListener("pagehide", this.onUnload);
  }

  disconnectedCallback() {
    window.clearInterval(this.timer);
    this.attendance.stop();
    this.chatPanel.destroy();
    window.removeEventListener("pagehide", this.onUnload);
    this.session.leave();
    delete window.sabaq.stats;
    delete window.sabaq.participantId;
  }

  build() {
    this.titleEl = tr(h("h1", { class: "room-title", tabindex: "-1" }), "room.title");
    this.kind = h("span", { class: "badge", "data-testid": "room-kind" });
    this.lockBadge = tr(h("span", { class: "badge warn", hidden: true, "data-testid": "room-locked" }),
      "room.locked");
    this.quality = h("p", { class: "quality", "data-testid": "quality", "data-quality": "unknown" });
    this.banner = tr(h("p", { class: "banner", role: "status", hidden: true,
      "data-testid": "reconnecting-banner" }), "room.reconnecting");
    this.notice = h("p", { class: "notice", role: "status", "data-testid": "room-notice" });
    this.recording = new RoomRecording(this.sessionId, this.session.roster,
      { onError: (message) => this.showNotice({ message }) });
    this.stageEl = h("div", { class: "stage", "data-testid": "stage" });
    this.stageEl.setAttribute("aria-labelledby", "stage-heading");
    this.stage = new Stage(this.stageEl, this.session.roster);
    this.panel = new ParticipantsPanel(this.session, (person) => this.writeTo(person));
    this.chatPanel = new ChatPanel(this.session);
    this.attendance = new AttendancePanel(this.sessionId);
    this.log = h("ol", { class: "event-log" });
    this.logRegion = h("div", { role: "log", "aria-live": "polite", "aria-labelledby": "events-heading",
      "data-testid": "room-events" }, this.log);
    this.peopleBox = h("div", { class: "side-stack", "data-testid": "people-box" },
      this.panel.el,
      h("section", { class: "side-panel", "aria-labelledby": "events-heading" },
        tr(h("h2", { id: "events-heading" }), "room.activity"), this.logRegion));
    this.side = h("aside", { class: "room-side", "data-testid": "room-side" },
      this.peopleBox, this.chatPanel.el, this.attendance.el);
    // New chat messages are announced here (outside the panels, so also when chat is closed).
    this.chatAnnouncer = h("div", { class: "visually-hidden", role: "status",
      "aria-live": "polite", "data-testid": "chat-announcer" });
    this.controls = new Controls(this.handlers());
    this.controls.moderation.prepend(this.recording.button);
    this.dialog = this.endDialog();
    this.ended = h("div", { class: "card ended", hidden: true, "data-testid": "room-ended" });
    this.live = h("section", { class: "room-live" },
      h("div", { class: "room-head" },
        h("div", { class: "room-heading" }, this.titleEl, this.kind, this.lockBadge,
          this.recording.indicator), this.quality),
      this.banner, this.notice, this.recording.alert,
      h("div", { class: "room-body" },
        h("section", { class: "stage-wrap", "aria-labelledby": "stage-heading" },
          tr(h("h2", { id: "stage-heading", class: "visually-hidden" }), "room.stage"),
          this.stageEl),
        this.side),
      this.controls.el, this.chatAnnouncer, this.recording.announcer);
    this.append(h("div", { class: "room" }, this.live, this.ended, this.dialog));
    this.refresh();
  }

  handlers() {
    const s = this.session;
    return {
      mic: () => s.setMicrophone(!this.trackOn("microphone")),
      camera: () => s.setCamera(!this.trackOn("camera")),
      screen: () => s.toggleScreen(),
      hand: () => s.raiseHand(!s.roster.self?.hand_raised),
      people: () => this.toggleSide("people"),
      chat: () => this.toggleSide("chat"),
      attendance: () => this.toggleSide("attendance"),
      lock: () => s.moderate(s.roster.locked ? "unlock" : "lock"),
      mute_all: () => s.moderate("mute_all"),
      end: () => this.dialog.showModal(),
      leave: () => {
        s.leave();
        go("#/");
      },
    };
  }

  endDialog() {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "end-heading",
      "data-testid": "end-dialog" },
      tr(h("h2", { id: "end-heading" }), "room.end_title"),
      tr(h("p", {}), "room.end_question"),
      h("div", { class: "dialog-buttons" },
        tr(h("button", { type: "button", class: "button secondary", "data-testid": "end-cancel",
          onclick: () => dialog.close() }), "room.cancel"),
        tr(h("button", { type: "button", class: "button danger", "data-testid": "end-confirm",
          onclick: () => {
            dialog.close();
            this.session.moderate("end");
          } }), "room.end")));
    return dialog;
  }

  wire() {
    const s = this.session;
    s.addEventListener("roster", () => this.refresh());
    s.addEventListener("local", () => this.refresh());
    s.addEventListener("slots", (event) => this.stage.setSlots(event.detail));
    s.addEventListener("muted", (event) => this.stage.setMuted(event.detail.track_id,
      event.detail.muted, s.subscriber?.slots ?? []));
    s.addEventListener("state", (event) => this.onState(event.detail));
    s.addEventListener("notice", (event) => this.showNotice(event.detail));
    s.addEventListener("recording", (event) => this.recording.onMessage(event.detail));
    s.addEventListener("hand", (event) => this.logEvent(
      event.detail.hand_raised ? "room.event_hand_up" : "room.event_hand_down",
      { name: event.detail.name }));
    s.addEventListener("ended", (event) => this.showEnded(event.detail));
    s.roster.addEventListener("change", (event) => this.onRosterChange(event.detail));
    s.chat.addEventListener("incoming", (event) => this.onIncoming(event.detail));
  }

  toggleSide(name) {
    this.sidePanel = this.sidePanel === name ? null : name;
    this.refresh();
  }

  writeTo(person) {
    this.sidePanel = "chat";
    this.refresh();
    this.chatPanel.writeTo(person);
  }

  onIncoming(entry) {
    if (this.sidePanel !== "chat") this.unread += 1;
    const text = entry.text.length > SNIPPET ? `${entry.text.slice(0, SNIPPET)}…` : entry.text;
    let key = "chat.announce_message";
    if (entry.kind === "announcement") key = "chat.announce_announcement";
    else if (entry.recipient_id !== null && entry.recipient_id !== undefined) {
      key = "chat.announce_private";
    }
    this.chatAnnouncer.textContent = t(key, { name: entry.sender_name, text });
    this.refresh();
  }

  trackOn(label) {
    const track = this.session.localTrack(label);
    return Boolean(track && track.enabled);
  }

  refresh() {
    const roster = this.session.roster;
    tr(this.kind, `kind.${roster.kind}`);
    this.lockBadge.hidden = !roster.locked;
    const side = this.sidePanel === "attendance" && !this.canManage ? null : this.sidePanel;
    this.side.hidden = !side;
    this.peopleBox.hidden = side !== "people";
    this.chatPanel.el.hidden = side !== "chat";
    this.attendance.el.hidden = side !== "attendance";
    this.attendance.setActive(side === "attendance");
    if (side === "chat") this.unread = 0;
    const opened = side === "chat" && this.shownSide !== "chat";
    this.shownSide = side;
    this.controls.update({
      mic: this.trackOn("microphone"),
      camera: this.trackOn("camera"),
      screen: Boolean(this.session.localTrack("screen")),
      hand: Boolean(roster.self?.hand_raised),
      people: side === "people",
      chat: side === "chat",
      attendance: side === "attendance",
      canAttend: this.canManage,
      unread: this.unread,
      locked: roster.locked,
      mayPublish: roster.mayPublish,
      moderator: roster.moderator,
    });
    this.recording.update();
    this.panel.render();
    this.chatPanel.render();
    if (opened) this.chatPanel.shown();
    const publisher = this.session.publisher;
    const tracks = {};
    for (const label of ["camera", "microphone", "screen"]) {
      tracks[label] = publisher?.tracks.get(label) ?? null;
    }
    this.stage.setLocal(tracks);
  }

  onRosterChange(message) {
    const roster = this.session.roster;
    if (message.type === "participant_joined") {
      // The recorder is no person: its coming and going is logged as the recording's.
      if (!message.participant.agent) {
        this.logEvent("room.event_joined", { name: message.participant.name });
      }
    } else if (message.type === "participant_left") {
      if (!this.lastAgents?.has(message.participant_id)) {
        this.logEvent("room.event_left", { name: this.lastNames?.get(message.participant_id)
          ?? message.participant_id });
      }
    } else if (message.type === "room_updated") {
      if ("locked" in message) {
        this.logEvent(message.locked ? "room.event_locked" : "room.event_unlocked");
      }
      if ("recording" in message) {
        this.logEvent(message.recording ? "recordings.announce_started"
          : "recordings.announce_stopped");
      }
    }
    this.lastNames = new Map([...roster.people].map(([id, p]) => [id, p.name]));
    this.lastAgents = new Set([...roster.people].filter(([, p]) => p.agent).map(([id]) => id));
  }

  logEvent(key, args) {
    const item = tr(h("li", {}), key, args);
    this.log.append(item);
    while (this.log.children.length > LOG_LIMIT) this.log.firstElementChild.remove();
  }

  onState({ state }) {
    this.banner.hidden = state !== "reconnecting";
    this.dataset.state = state;
  }

  showNotice(detail) {
    const code = detail?.code ?? "generic";
    if (has(`notice.${code}`)) tr(this.notice, `notice.${code}`);
    else tr(this.notice, "notice.generic", { message: detail?.message ?? String(detail) });
  }

  showEnded(reason) {
    this.live.hidden = true;
    this.ended.hidden = false;
    this.ended.replaceChildren(
      tr(h("h1", { tabindex: "-1" }), `room.ended_${reason}`),
      tr(h("a", { href: "#/", class: "button primary", "data-testid": "back-to-schedule" }),
        "room.back"),
      tr(h("a", { href: `#/recordings/session/${this.sessionId}`, class: "button secondary",
        "data-testid": "ended-recordings" }), "recordings.open"),
      this.canManage ? h("div", { class: "ended-downloads", role: "group",
        "aria-labelledby": "ended-downloads" },
      tr(h("p", { id: "ended-downloads" }), "attendance.downloads"),
      downloadLinks(this.sessionId, { prefix: "ended-" })) : null);
    this.attendance.stop();
    this.ended.querySelector("h1").focus();
  }

  async loadTitle() {
    try {
      const session = await api(`/api/sessions/${this.sessionId}`);
      this.titleEl.textContent = session.title;
      delete this.titleEl.dataset.i18n;
      document.title = `${session.title} — ${t("app.name")}`;
      this.canManage ||= session.tutor_id === this.person?.id;
      this.chatPanel.setInfo({ canExport: this.canManage, tutorId: session.tutor_id,
        tutorName: session.tutor_name, zone: session.local?.timezone });
      this.attendance.setZone(session.local?.timezone);
      this.refresh();
    } catch {
      // the generic title stays
    }
  }

  async measure() {
    const s = this.session;
    if (!s.roster.me) return;
    const connected = s.signal.state === "open";
    const current = await s.stats().catch(() => null);
    if (!current) return;
    const level = quality(this.previous, current, connected);
    this.previous = current;
    this.quality.dataset.quality = level;
    tr(this.quality, `room.quality_${level}`);
  }
}

customElements.define("sabaq-room", RoomView);
