// One student opened large on the proctor's grid: camera and screen big, every flag, and the
// actions: talk privately, write privately, pause or resume, end the exam, note an incident,
// open the review.

import { h } from "../dom.js";
import { formatTime, t, tr, trAttr } from "../i18n.js";
import { post } from "../proctoring/api.js";
import { playTrack, shownTrack, trackVideo } from "../room/tiles.js";

function big(testid, key, name) {
  const video = trackVideo("focus-video", { "data-testid": testid });
  trAttr(video, { "aria-label": [key, { name }] });
  return video;
}

export class FocusPanel {
  /** hooks: {close, talk(tile, on), write(tile), changed(checkin), notice(key, args)} */
  constructor(sessionId, hooks) {
    this.sessionId = sessionId;
    this.hooks = hooks;
    this.tile = null;
    this.el = h("section", { class: "card focus-panel", hidden: true, "data-testid": "focus",
      "aria-labelledby": "focus-heading" });
  }

  open(tile, talking) {
    this.tile = tile;
    this.talking = talking;
    this.render();
    this.el.hidden = false;
    this.el.querySelector("h2").focus();
  }

  close() {
    this.el.hidden = true;
    this.tile = null;
    this.el.replaceChildren();
  }

  render() {
    const tile = this.tile;
    if (!tile) return;
    const name = tile.row.student_name;
    const state = tile.row.state;
    this.camera = big("focus-camera", "proctoring.camera_of", name);
    this.screen = big("focus-screen", "proctoring.screen_of", name);
    this.syncTracks();
    const button = (key, testid, onclick, cls = "button secondary", extra = {}) => tr(
      h("button", { type: "button", class: cls, "data-testid": testid, onclick, ...extra }), key);
    const talk = button(this.talking ? "proctoring.talk_stop" : "proctoring.talk_start",
      "focus-talk", () => this.hooks.talk(tile, !this.talking), "button secondary",
      { "aria-pressed": String(Boolean(this.talking)) });
    const running = state === "in_exam" || state === "paused";
    const pause = running ? button(state === "paused" ? "proctoring.resume" : "proctoring.pause",
      "focus-pause", () => this.act(state === "paused" ? "resume" : "pause")) : null;
    const endReason = h("input", { id: "focus-end-reason", "data-testid": "focus-end-reason",
      maxlength: 500 });
    const end = ["approved", "in_exam", "paused"].includes(state) ? h("details",
      { class: "focus-end" },
      tr(h("summary", { "data-testid": "focus-end-open" }), "proctoring.end_exam"),
      h("div", { class: "field" },
        tr(h("label", { for: "focus-end-reason" }), "proctoring.end_reason_label"), endReason),
      button("proctoring.end_confirm", "focus-end", () => this.act("end",
        endReason.value.trim() ? { reason: endReason.value.trim() } : undefined), "button danger"))
      : null;
    const note = h("textarea", { id: "focus-note", rows: 2, maxlength: 2000,
      "data-testid": "focus-note", "aria-describedby": "focus-note-error" });
    const noteError = h("p", { id: "focus-note-error", class: "form-error", role: "alert" });
    const noteForm = h("form", { class: "focus-note", novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      this.addNote(note, noteError);
    } },
    h("div", { class: "field" }, tr(h("label", { for: "focus-note" }), "proctoring.note_label"),
      note),
    noteError,
    tr(h("button", { type: "submit", class: "button secondary", "data-testid": "focus-note-save" }),
      "proctoring.note_save"));
    this.el.replaceChildren(
      h("div", { class: "focus-head" },
        h("h2", { id: "focus-heading", tabindex: "-1" }, name),
        tr(h("span", { class: "badge", "data-testid": "focus-state" }), `proctoring.state_${state}`),
        tr(h("button", { type: "button", class: "button small", "data-testid": "focus-close",
          onclick: () => this.hooks.close() }), "proctoring.close")),
      h("div", { class: "focus-media" }, this.camera, this.screen),
      h("div", { class: "focus-body" },
        h("div", { class: "focus-actions", role: "group", "aria-labelledby": "focus-heading" },
          talk,
          button("proctoring.write", "focus-write", () => this.hooks.write(tile)),
          pause,
          tr(h("a", { class: "button secondary", "data-testid": "focus-review",
            href: `#/proctor/${this.sessionId}/review/${tile.id}` }), "proctoring.open_review"),
          end),
        h("div", { class: "focus-side" },
          tr(h("h3", {}), "proctoring.flags_title"),
          this.flagList(tile),
          noteForm)));
  }

  flagList(tile) {
    if (!tile.flags.length) return tr(h("p", { class: "empty" }), "proctoring.no_flags");
    return h("ol", { class: "focus-flags", "data-testid": "focus-flags" },
      tile.flags.map((flag) => h("li", { "data-kind": flag.kind },
        h("time", { datetime: flag.at }, formatTime(flag.at, tile.zone)), " ",
        tr(h("span", {}), `proctoring.flag_${flag.kind}`),
        flag.detail ? h("span", { class: "hint" }, ` (${flag.detail})`) : null)));
  }

  syncTracks() {
    if (!this.tile || !this.camera) return;
    for (const [video, label] of [[this.camera, "camera"], [this.screen, "screen"]]) {
      const track = this.tile.tracks.get(label) ?? null;
      if (shownTrack(video) === track) continue;
      video.hidden = !track;
      playTrack(video, track);
    }
  }

  async act(action, body) {
    try {
      const checkin = await post(this.sessionId, `students/${this.tile.id}/${action}`, body);
      this.hooks.changed(checkin);
      this.hooks.notice(`proctoring.done_${action}`, { name: this.tile.row.student_name });
    } catch (error) {
      this.hooks.notice("proctoring.action_failed", { reason: error.message || t("error.network") });
    }
  }

  async addNote(field, error) {
    const text = field.value.trim();
    if (!text) {
      tr(error, "proctoring.note_required");
      field.focus();
      return;
    }
    error.textContent = "";
    try {
      await post(this.sessionId, `students/${this.tile.id}/incidents`, { text });
      field.value = "";
      this.hooks.notice("proctoring.note_saved", { name: this.tile.row.student_name });
    } catch (failure) {
      tr(error, "proctoring.action_failed", { reason: failure.message || t("error.network") });
    }
  }
}
