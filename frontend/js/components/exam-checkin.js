// The student's check-in steps: the privacy notice, camera + microphone + entire screen, the
// face and identity-document photos. Each step is a small object with .el and callbacks; the
// page (exam-view.js) moves between them.

import { h } from "../dom.js";
import { tr, trAttr, untr } from "../i18n.js";
import { base, sendImage } from "../proctoring/api.js";
import { frameReady, grabFrame } from "../proctoring/capture.js";
import { playTrack, trackVideo } from "../room/tiles.js";
import "./level-meter.js";

const PRIVACY_POINTS = ["recorded", "watched", "flags", "photos", "faces", "speech", "who",
  "retention"];

/** The retention point's sentences: the real periods from the check-in's ``privacy`` (a null
 * period: no automatic deletion), or the general sentence when the server did not say. */
function retention(privacy) {
  if (!privacy) return [tr(h("span", {}), "proctoring.privacy_retention")];
  const sentence = (key, days) => {
    const span = h("span", { "data-testid": `privacy-days-${key}` });
    if (!days) return tr(span, `proctoring.privacy_retention_${key}_kept`);
    return tr(span, `proctoring.privacy_retention_${key}`, { days });
  };
  return [sentence("photos", privacy.proctoring_retention_days), " ",
    sentence("recording", privacy.recording_retention_days)];
}

/** Whether the server said if it listens for speech in this exam (an exam may allow speaking
 * aloud); when it did not, the speech point is left out. */
const saysSpeech = (privacy) => typeof privacy?.speech_monitored === "boolean";

function speech(privacy) {
  const key = privacy.speech_monitored ? "monitored" : "not_monitored";
  const span = h("span", { "data-testid": `privacy-speech-${key}` });
  return tr(span, `proctoring.privacy_speech_${key}`);
}

function pointText(point, privacy) {
  if (point === "retention") return retention(privacy);
  if (point === "speech") return speech(privacy);
  return tr(h("span", {}), `proctoring.privacy_${point}`);
}

/** Step 1: what is recorded and watched, who sees it, how long it is kept (``privacy``: the
 * retention periods and whether speech is monitored, from ``GET .../proctoring/me``). */
export function privacyStep(onAccept, privacy = null) {
  const points = PRIVACY_POINTS.filter((point) => point !== "speech" || saysSpeech(privacy));
  const box = h("input", { type: "checkbox", id: "privacy-agree", "data-testid": "privacy-agree",
    required: true, "aria-describedby": "privacy-error" });
  const error = h("p", { id: "privacy-error", class: "form-error", role: "alert",
    "data-testid": "privacy-error" });
  const form = h("form", { class: "privacy", "data-testid": "privacy-step", novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      if (!box.checked) {
        tr(error, "proctoring.privacy_required");
        box.focus();
        return;
      }
      error.textContent = "";
      onAccept();
    } },
  tr(h("h2", { id: "step-heading", tabindex: "-1" }), "proctoring.privacy_title"),
  tr(h("p", { class: "lead" }), "proctoring.privacy_lead"),
  h("ul", { class: "privacy-points" },
    points.map((point) => h("li", { "data-testid": `privacy-${point}` },
      tr(h("strong", {}), `proctoring.privacy_${point}_title`), pointText(point, privacy)))),
  h("div", { class: "field checkbox" }, box,
    h("label", { for: "privacy-agree" }, tr(h("span", {}), "proctoring.privacy_agree"))),
  error,
  tr(h("button", { type: "submit", class: "button primary", "data-testid": "privacy-continue" }),
    "proctoring.continue"));
  return { el: form };
}

function preview(testid, key) {
  const video = trackVideo("check-video", { "data-testid": testid });
  trAttr(video, { "aria-label": [key] });
  return video;
}

/** Step 2: camera, microphone and the entire screen, each with its state and a retry. */
export class DevicesStep {
  constructor(media, onDone) {
    this.media = media;
    this.onDone = onDone;
    this.camera = preview("preview-camera", "proctoring.camera_preview");
    this.screen = preview("preview-screen", "proctoring.screen_preview");
    this.rows = {};
    this.meter = h("sabaq-level-meter", { class: "check-meter" });
    const row = (label) => {
      const state = h("span", { class: "check-state", "data-testid": `check-${label}-state` });
      const item = h("li", { class: "check-row", "data-testid": `check-${label}` },
        tr(h("span", { class: "check-name" }), `proctoring.source_${label}`),
        label === "microphone" ? this.meter : null, state);
      this.rows[label] = { item, state };
      return item;
    };
    this.message = h("p", { class: "notice", role: "alert", "data-testid": "check-message" });
    this.devicesButton = tr(h("button", { type: "button", class: "button secondary",
      "data-testid": "check-devices", onclick: () => this.openDevices() }),
    "proctoring.allow_devices");
    this.screenButton = tr(h("button", { type: "button", class: "button secondary",
      "data-testid": "check-share-screen", onclick: () => this.openScreen() }),
    "proctoring.share_screen");
    this.next = tr(h("button", { type: "button", class: "button primary",
      "data-testid": "check-continue", onclick: () => this.onDone() }), "proctoring.continue");
    this.el = h("div", { class: "devices-step", "data-testid": "devices-step" },
      tr(h("h2", { id: "step-heading", tabindex: "-1" }), "proctoring.devices_title"),
      tr(h("p", { class: "lead" }), "proctoring.devices_lead"),
      h("div", { class: "check-previews" },
        h("figure", {}, this.camera, tr(h("figcaption", {}), "proctoring.source_camera")),
        h("figure", {}, this.screen, tr(h("figcaption", {}), "proctoring.source_screen"))),
      h("ul", { class: "check-list", role: "list" }, row("camera"), row("microphone"), row("screen")),
      tr(h("p", { class: "hint", id: "screen-hint" }), "proctoring.screen_hint"),
      this.message,
      h("div", { class: "step-buttons" }, this.devicesButton, this.screenButton, this.next));
    this.screenButton.setAttribute("aria-describedby", "screen-hint");
    this.render();
  }

  async openDevices() {
    this.devicesButton.disabled = true;
    try {
      await this.media.openDevices();
      this.clearMessage();
    } catch (error) {
      this.fail(`proctoring.devices_${error.reason ?? "failed"}`);
    }
    this.devicesButton.disabled = false;
    this.render();
  }

  async openScreen() {
    this.screenButton.disabled = true;
    try {
      await this.media.openScreen();
      this.clearMessage();
    } catch (error) {
      if (error.reason === "not_monitor") {
        this.fail("proctoring.screen_not_monitor", { surface: error.surface });
      } else this.fail(`proctoring.screen_${error.reason ?? "failed"}`);
    }
    this.screenButton.disabled = false;
    this.render();
  }

  fail(key, args) {
    this.message.classList.remove("ok");
    this.message.classList.add("error");
    tr(this.message, key, args);
  }

  clearMessage() {
    this.message.classList.remove("error");
    untr(this.message);
  }

  render() {
    const media = this.media;
    for (const label of ["camera", "microphone", "screen"]) {
      const ok = label === "screen" ? media.screenOk() : media.alive(label);
      const { item, state } = this.rows[label];
      item.dataset.ok = String(ok);
      tr(state, ok ? "proctoring.check_ok" : "proctoring.check_missing");
    }
    playTrack(this.camera, media.camera);
    playTrack(this.screen, media.screen);
    if (media.microphone !== this.metered) {
      this.metered = media.microphone;
      if (media.microphone) this.meter.attach(media.microphone);
    }
    this.next.disabled = !media.ready;
    this.message.classList.toggle("ok", media.ready);
    if (media.ready) tr(this.message, "proctoring.devices_ready");
  }
}

/** Step 3: a photo of the face and of an identity document, from the camera. */
export class PhotosStep {
  constructor(sessionId, media, checkin, onDone) {
    this.sessionId = sessionId;
    this.media = media;
    this.onDone = onDone;
    this.video = preview("photo-camera", "proctoring.camera_preview");
    this.slots = {};
    this.message = h("p", { class: "notice", role: "status", "data-testid": "photo-message" });
    this.next = tr(h("button", { type: "button", class: "button primary",
      "data-testid": "photos-submit", onclick: () => this.onDone() }), "proctoring.submit");
    this.el = h("div", { class: "photos-step", "data-testid": "photos-step" },
      tr(h("h2", { id: "step-heading", tabindex: "-1" }), "proctoring.photos_title"),
      tr(h("p", { class: "lead" }), "proctoring.photos_lead"),
      h("div", { class: "photo-layout" },
        h("div", { class: "photo-live" }, this.video),
        h("div", { class: "photo-slots" }, this.slot("face", checkin), this.slot("document", checkin))),
      this.message,
      h("div", { class: "step-buttons" }, this.next));
    playTrack(this.video, media.camera);
    this.render();
  }

  slot(kind, checkin) {
    const existing = checkin?.[`${kind}_photo_url`];
    const img = h("img", { class: "photo-thumb", "data-testid": `photo-${kind}-image`,
      hidden: !existing, src: existing ? `${existing}?v=${Date.now()}` : null });
    trAttr(img, { alt: [`proctoring.photo_${kind}_alt`] });
    const state = h("span", { class: "photo-state", "data-testid": `photo-${kind}-state` });
    const button = tr(h("button", { type: "button", class: "button secondary",
      "data-testid": `photo-${kind}-take`, onclick: () => this.take(kind) }),
    existing ? "proctoring.photo_retake" : "proctoring.photo_take");
    this.slots[kind] = { img, state, button, saved: Boolean(existing) };
    return h("section", { class: "photo-slot", "aria-labelledby": `photo-${kind}-heading` },
      tr(h("h3", { id: `photo-${kind}-heading` }), `proctoring.photo_${kind}`),
      tr(h("p", { class: "hint" }), `proctoring.photo_${kind}_hint`),
      img, state, button);
  }

  async take(kind) {
    const slot = this.slots[kind];
    slot.button.disabled = true;
    tr(slot.state, "proctoring.photo_saving");
    try {
      await frameReady(this.video);
      const blob = await grabFrame(this.video, 1280, 0.9);
      if (!blob) throw new Error("no frame");
      await sendImage(`${base(this.sessionId)}/me/photos/${kind}`, blob);
      if (slot.img.src.startsWith("blob:")) URL.revokeObjectURL(slot.img.src);
      slot.img.src = URL.createObjectURL(blob);
      slot.img.hidden = false;
      slot.saved = true;
      tr(slot.state, "proctoring.photo_saved");
      tr(slot.button, "proctoring.photo_retake");
    } catch (error) {
      tr(slot.state, "proctoring.photo_failed", { reason: error.message || error.code || "" });
    }
    slot.button.disabled = false;
    this.render();
  }

  render() {
    const done = this.slots.face.saved && this.slots.document.saved;
    this.next.disabled = !done || !this.media.ready;
    this.message.classList.toggle("ok", done && this.media.ready);
    if (!this.media.ready) tr(this.message, "proctoring.photos_need_devices");
    else tr(this.message, done ? "proctoring.photos_ready" : "proctoring.photos_todo");
  }
}
