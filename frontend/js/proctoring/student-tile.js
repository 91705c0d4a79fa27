// One student on the proctor's grid: camera and screen side by side, the exam state, a status
// (ok / attention / disconnected) and the latest flags. Flags raised before the grid opened come
// from the students list's summary (flag_count, last_flag_at, last_flag_kind); later ones live.

import { h } from "../dom.js";
import { formatTime, tr, trAttr } from "../i18n.js";
import { playTrack, trackVideo } from "../room/tiles.js";
import { RUNNING } from "./api.js";

export const ATTENTION_MS = 2 * 60 * 1000; // a flag this recent asks for attention
const SHOWN_FLAGS = 4;

function video(testid, label) {
  return trackVideo(`grid-video ${label}`, { "data-testid": testid, "data-label": label });
}

/** Whether a student should be in the room now (their media is expected). */
export function expected(state) {
  return RUNNING.has(state) || state === "approved";
}

export class StudentTile {
  constructor(row, onOpen) {
    this.id = row.student_id;
    this.row = row;
    this.flags = []; // newest first
    this.tracks = new Map();
    this.connected = false;
    this.camera = video(`grid-${this.id}-camera`, "camera");
    this.screen = video(`grid-${this.id}-screen`, "screen");
    this.name = h("h3", { class: "grid-name", id: `grid-name-${this.id}` });
    this.state = h("span", { class: "badge grid-state", "data-testid": `grid-state-${this.id}` });
    this.status = h("span", { class: "grid-status", "data-testid": `grid-status-${this.id}` });
    this.flagList = h("ul", { class: "grid-flags", role: "list", "data-testid": `grid-flags-${this.id}` });
    this.count = h("span", { class: "grid-count", "data-testid": `grid-count-${this.id}` });
    this.open = tr(h("button", { type: "button", class: "button small",
      "data-testid": `grid-open-${this.id}`, "aria-describedby": `grid-name-${this.id}`,
      onclick: () => onOpen(this) }), "proctoring.open_student");
    this.placeholder = h("p", { class: "grid-placeholder" });
    this.el = h("li", { class: "grid-tile", "data-testid": `grid-tile-${this.id}`,
      "aria-labelledby": `grid-name-${this.id}` },
    h("div", { class: "grid-media" }, this.camera, this.screen, this.placeholder),
    h("div", { class: "grid-info" },
      h("div", { class: "grid-line" }, this.name, this.status),
      h("div", { class: "grid-line" }, this.state, this.count, this.open),
      this.flagList));
    this.update(row);
  }

  update(row) {
    this.row = { ...this.row, ...row };
    this.renderFlags();
    this.name.textContent = this.row.student_name;
    trAttr(this.camera, { "aria-label": ["proctoring.camera_of", { name: this.row.student_name }] });
    trAttr(this.screen, { "aria-label": ["proctoring.screen_of", { name: this.row.student_name }] });
    tr(this.state, `proctoring.state_${this.row.state}`);
    this.el.dataset.state = this.row.state;
    this.refresh();
  }

  setTrack(label, track) {
    if (this.tracks.get(label) === track) return;
    if (track) this.tracks.set(label, track);
    else this.tracks.delete(label);
    playTrack(label === "screen" ? this.screen : this.camera, track);
    this.refresh();
  }

  addFlag(flag) {
    if (this.flags.some((known) => known.id === flag.id)) return;
    this.flags.unshift(flag);
    this.flags.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    // Counted into the summary until the next students list (which includes it) replaces it.
    const row = this.row;
    row.flag_count = (row.flag_count ?? 0) + 1;
    if (!row.last_flag_at || Date.parse(flag.at) >= Date.parse(row.last_flag_at)) {
      row.last_flag_at = flag.at;
      row.last_flag_kind = flag.kind;
    }
    this.renderFlags();
    this.refresh();
  }

  renderFlags() {
    const item = (flag, testid) => h("li", { "data-kind": flag.kind, "data-source": flag.source,
      "data-testid": testid },
    h("time", { datetime: flag.at }, formatTime(flag.at, this.zone)), " ",
    tr(h("span", {}), `proctoring.flag_${flag.kind}`));
    const live = this.flags.slice(0, SHOWN_FLAGS)
      .map((flag) => item(flag, `grid-flag-${this.id}-${flag.kind}`));
    const last = this.lastFlag();
    // Before any live flag: the latest one raised before the grid opened.
    if (!live.length && last) live.push(item(last, `grid-last-flag-${this.id}`));
    this.flagList.replaceChildren(...live);
    const count = Math.max(this.row.flag_count ?? 0, this.flags.length);
    tr(this.count, "proctoring.flag_count", { count });
    this.count.hidden = count === 0;
  }

  /** The latest flag known, live or from the students list ({kind, at}), or null. */
  lastFlag() {
    const live = this.flags[0] ?? null;
    const { last_flag_at: at, last_flag_kind: kind } = this.row;
    if (!at || (live && Date.parse(live.at) >= Date.parse(at))) return live;
    return { kind, at };
  }

  /** ok / attention / disconnected, or none when the student is not in the exam. */
  get statusName() {
    if (!expected(this.row.state)) return "none";
    if (!this.connected) return "disconnected";
    const last = this.lastFlag();
    return last && Date.now() - Date.parse(last.at) < ATTENTION_MS ? "attention" : "ok";
  }

  refresh() {
    const status = this.statusName;
    this.el.dataset.status = status;
    this.status.dataset.status = status;
    this.status.hidden = status === "none";
    if (status !== "none") tr(this.status, `proctoring.status_${status}`);
    const media = this.tracks.has("camera") || this.tracks.has("screen");
    this.camera.hidden = !this.tracks.has("camera");
    this.screen.hidden = !this.tracks.has("screen");
    this.placeholder.hidden = media;
    tr(this.placeholder, expected(this.row.state) ? "proctoring.no_media"
      : `proctoring.state_${this.row.state}`);
  }
}
