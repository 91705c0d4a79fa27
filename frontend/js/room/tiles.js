// Video tiles: one per participant with media, laid out by the session's kind.
// lecture/colloquium: the presenter large, others in a strip; consultation/practical: a gallery;
// midterm/exam: each student's camera and screen side by side for the proctor.

import { h } from "../dom.js";
import { tr, trAttr } from "../i18n.js";
import { KIND_LAYOUT } from "../sessions.js";

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0]).join("")
    .toUpperCase();
}

/** A <video> for a live track: autoplaying, inline and muted, since the autoplay policy only
 * lets muted media start without a gesture (sound goes through separate <audio> elements).
 * ``attrs`` go to h() after these. */
export function trackVideo(className, attrs = {}) {
  const video = h("video", { class: className, autoplay: true, playsInline: true, muted: true,
    ...attrs });
  video.muted = true;
  return video;
}

/** Shows ``track`` (or nothing, for null) in a <video> or <audio>. A refused play() (autoplay
 * policy, element taken away meanwhile) is not an error: autoplay starts it when it can. */
export function playTrack(element, track) {
  element.srcObject = track ? new MediaStream([track]) : null;
  if (track) element.play().catch(() => null);
}

/** The video track an element shows now, or null: callers skip a swap to the same track, which
 * would make the element load its source again. */
export function shownTrack(element) {
  return element.srcObject?.getVideoTracks()[0] ?? null;
}

class Tile {
  constructor(participantId, isSelf) {
    this.id = participantId;
    this.isSelf = isSelf;
    const prefix = isSelf ? "local-video" : `video-${participantId}`;
    this.camera = this.video(`${prefix}-camera`, "camera");
    this.screen = this.video(`${prefix}-screen`, "screen");
    this.audio = h("audio", { autoplay: true, "data-testid": `audio-${participantId}` });
    this.avatar = h("span", { class: "avatar", "aria-hidden": "true" });
    this.name = h("span", { class: "tile-name" });
    this.role = h("span", { class: "tile-role" });
    this.micState = h("span", { class: "tile-mic", hidden: true });
    tr(this.micState, "room.mic_muted");
    this.el = h("figure", {
      class: "tile", "data-testid": isSelf ? "tile-self" : `tile-${participantId}`,
      "data-participant": participantId,
    },
      h("div", { class: "tile-media" }, this.avatar, this.screen, this.camera),
      h("figcaption", { class: "tile-caption" }, this.name, this.role, this.micState),
      isSelf ? null : this.audio);
    this.tracks = new Map();
  }

  video(testid, label) {
    return trackVideo(`tile-video ${label}`,
      { hidden: true, "data-testid": testid, "data-label": label });
  }

  describe(participant, selfLabel) {
    const name = participant?.name ?? this.id;
    this.name.textContent = name;
    this.avatar.textContent = initials(name);
    if (selfLabel) tr(this.role, "room.you");
    else tr(this.role, `role.${participant?.role ?? "student"}`);
    trAttr(this.camera, { "aria-label": ["room.camera_of", { name }] });
    trAttr(this.screen, { "aria-label": ["room.screen_of", { name }] });
  }

  set(label, track) {
    if (this.tracks.get(label) === track) return;
    if (track) this.tracks.set(label, track);
    else this.tracks.delete(label);
    if (label === "microphone") {
      if (!this.isSelf) playTrack(this.audio, track);
    } else {
      const video = label === "screen" ? this.screen : this.camera;
      playTrack(video, track);
      video.hidden = !track;
    }
    this.refresh();
  }

  setMuted(label, muted) {
    if (label === "microphone") this.micState.hidden = !muted;
    if (label === "camera") this.camera.classList.toggle("off", muted);
    this.refresh();
  }

  refresh() {
    const camera = this.tracks.has("camera") && !this.camera.classList.contains("off");
    this.el.classList.toggle("has-screen", this.tracks.has("screen"));
    this.el.classList.toggle("has-camera", camera);
    this.avatar.hidden = camera || this.tracks.has("screen");
  }

  get empty() {
    return this.tracks.size === 0;
  }
}

export class Stage {
  constructor(root, roster) {
    this.root = root;
    this.roster = roster;
    this.tiles = new Map();
    this.self = null;
    this.main = h("div", { class: "stage-main", "data-testid": "stage-main" });
    this.strip = h("div", { class: "stage-strip", "data-testid": "stage-strip" });
    this.waiting = tr(h("p", { class: "stage-waiting", "data-testid": "stage-waiting" }),
      "room.waiting_presenter");
    root.append(this.main, this.strip);
  }

  tile(participantId) {
    let tile = this.tiles.get(participantId);
    if (!tile) {
      tile = new Tile(participantId, false);
      this.tiles.set(participantId, tile);
    }
    return tile;
  }

  /** The subscription's slots: every remote track now received. */
  setSlots(slots) {
    const seen = new Set();
    for (const slot of slots) {
      this.tile(slot.publisher_id).set(slot.label, slot.track);
      seen.add(`${slot.publisher_id}/${slot.label}`);
    }
    for (const [id, tile] of this.tiles) {
      for (const label of [...tile.tracks.keys()]) {
        if (!seen.has(`${id}/${label}`)) tile.set(label, null);
      }
    }
    this.layout();
  }

  setLocal(tracks) {
    if (!this.self) this.self = new Tile(this.roster.me ?? "self", true);
    for (const label of ["camera", "screen", "microphone"]) {
      this.self.set(label, tracks[label] ?? null);
    }
    this.self.setMuted("camera", tracks.camera ? !tracks.camera.enabled : false);
    this.self.setMuted("microphone", tracks.microphone ? !tracks.microphone.enabled : false);
    this.layout();
  }

  setMuted(trackId, muted, slots) {
    const slot = slots.find((s) => s.track_id === trackId);
    if (slot) this.tiles.get(slot.publisher_id)?.setMuted(slot.label, muted);
  }

  layout() {
    const roster = this.roster;
    const layout = KIND_LAYOUT[roster.kind] ?? "gallery";
    this.root.dataset.layout = layout;
    for (const [id, tile] of this.tiles) {
      const person = roster.people.get(id);
      if (!person && tile.empty) this.tiles.delete(id);
      tile.describe(person, false);
    }
    this.self?.describe(roster.self, true);
    const remote = [...this.tiles.values()].filter((tile) => !tile.empty || this.isPresenter(tile.id));
    const local = this.self && !this.self.empty ? [this.self] : [];
    if (layout === "stage") this.stageLayout(remote, local);
    else this.grid([...remote, ...local]);
  }

  isPresenter(participantId) {
    const person = this.roster.people.get(participantId);
    return person?.role === "tutor" && participantId !== this.roster.me;
  }

  stageLayout(remote, local) {
    const presenter = remote.find((tile) => this.isPresenter(tile.id))
      ?? (this.roster.self?.role === "tutor" ? local[0] : null);
    const others = [...remote, ...local].filter((tile) => tile !== presenter);
    tr(this.waiting, "room.waiting_presenter");
    this.main.replaceChildren(presenter ? presenter.el : this.waiting);
    this.strip.replaceChildren(...others.map((tile) => tile.el));
    this.strip.hidden = others.length === 0;
  }

  grid(tiles) {
    this.main.replaceChildren(...tiles.map((tile) => tile.el));
    if (!tiles.length) this.main.append(this.waiting);
    tr(this.waiting, this.roster.kind === "exam" || this.roster.kind === "midterm"
      ? "room.waiting_students" : "room.waiting_others");
    this.strip.replaceChildren();
    this.strip.hidden = true;
  }
}
