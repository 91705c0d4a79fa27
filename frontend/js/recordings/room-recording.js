// Recording in the live room: the indicator everyone sees (with a polite announcement when the
// recording starts or stops), the start/stop control for those with the record grant, and the
// moderators' alert when the recorder stopped because the recordings disk is full.
// The state comes from the room: `joined` (room.recording) and `room_updated {recording}`.

import { api } from "../api.js";
import { h } from "../dom.js";
import { t, tr, trAttr } from "../i18n.js";

export class RoomRecording {
  /** onError(message): show a failed start/stop in the room's notice line. */
  constructor(sessionId, roster, { onError } = {}) {
    this.sessionId = sessionId;
    this.roster = roster;
    this.onError = onError ?? (() => {});
    this.known = null; // the last recording state shown (null: not joined yet)
    this.pending = null; // "start" | "stop" while the request runs
    this.indicator = h("span", { class: "badge recording-indicator", hidden: true,
      "data-testid": "recording-indicator" },
    h("span", { class: "recording-dot", "aria-hidden": "true" }),
    tr(h("span", {}), "recordings.indicator"));
    trAttr(this.indicator, { title: ["recordings.indicator_long"] });
    this.announcer = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite",
      "data-testid": "recording-announcer" });
    this.alert = h("p", { class: "notice error", role: "alert", hidden: true,
      "data-testid": "recording-alert" });
    this.label = h("span", { class: "control-label" });
    this.button = h("button", { type: "button", class: "control control-record", hidden: true,
      "data-testid": "control-record", onclick: () => this.toggle() },
    h("span", { class: "icon icon-record", "aria-hidden": "true" }), this.label);
  }

  get mayRecord() {
    return Boolean(this.roster.self?.grants?.includes("record"));
  }

  /** Called on every roster change: shows the state, announces a change after joining. */
  update() {
    const on = Boolean(this.roster.recording);
    if (this.roster.me && this.known !== on) {
      if (this.known !== null) {
        tr(this.announcer, on ? "recordings.announce_started" : "recordings.announce_stopped");
      }
      this.known = on;
      if (on) this.alert.hidden = true;
      if (this.pending === (on ? "start" : "stop")) this.pending = null;
    }
    this.indicator.hidden = !on;
    this.button.hidden = !this.mayRecord;
    this.button.classList.toggle("recording-on", on);
    // aria-disabled, not disabled: the button keeps the keyboard focus while the request runs.
    this.button.setAttribute("aria-disabled", this.pending ? "true" : "false");
    let key = on ? "recordings.stop" : "recordings.start";
    if (this.pending === "start") key = "recordings.starting";
    if (this.pending === "stop") key = "recordings.stopping";
    tr(this.label, key);
  }

  /** A `recording` message (moderators only): the recorder stopped on its own. */
  onMessage(message) {
    if (message.reason === "disk_full") {
      tr(this.alert, "recordings.disk_full");
      this.alert.hidden = false;
    }
  }

  async toggle() {
    if (this.pending) return;
    const action = this.roster.recording ? "stop" : "start";
    this.pending = action;
    this.update();
    try {
      await api(`/api/sessions/${this.sessionId}/recording/${action}`, { method: "POST" });
      // The room's room_updated message confirms it (the recorder joined or left).
      window.setTimeout(() => {
        if (this.pending === action) {
          this.pending = null;
          this.update();
        }
      }, 20_000);
    } catch (error) {
      this.pending = null;
      this.update();
      this.onError(t(`recordings.${action}_failed`, { reason: error.message || error.code }));
    }
  }
}
