// The lobby: camera and microphone preview, device choice, level meter, audio-only option.

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { formatTime, tr, trAttr } from "../i18n.js";
import { listDevices, openMedia, stopStream } from "../media.js";
import { handOver, loadPrefs, savePrefs } from "../prefs.js";
import { go } from "../router.js";
import "./level-meter.js";
import { LobbyRecordingNotice } from "../recordings/lobby-notice.js";
import { currentPerson } from "../auth.js";
import { examEntry } from "../proctoring/links.js";

class LobbyView extends HTMLElement {
  connectedCallback() {
    this.sessionId = Number(this.getAttribute("session-id"));
    this.prefs = loadPrefs();
    this.build();
    this.loadSession();
    this.preview();
  }

  disconnectedCallback() {
    if (!this.handed) stopStream(this.stream);
  }

  build() {
    this.titleEl = h("p", { class: "lead", "data-testid": "lobby-session" });
    this.video = h("video", {
      class: "preview-video", autoplay: true, playsInline: true, muted: true,
      "data-testid": "lobby-preview",
    });
    trAttr(this.video, { "aria-label": ["lobby.preview"] });
    this.placeholder = tr(h("p", { class: "preview-placeholder" }), "lobby.no_video");
    this.message = h("p", { class: "notice", role: "alert", "data-testid": "lobby-message" });
    this.meter = h("sabaq-level-meter");
    this.recording = new LobbyRecordingNotice(this.sessionId);
    this.cameras = this.select("camera", "lobby.camera");
    this.microphones = this.select("microphone", "lobby.microphone");
    this.audioOnly = h("input", {
      type: "checkbox", id: "audio-only", "data-testid": "audio-only",
      checked: this.prefs.audioOnly, onchange: () => this.changeAudioOnly(),
    });
    const joinButton = tr(h("button", {
      type: "button", class: "button primary wide", "data-testid": "lobby-join",
      "aria-describedby": "lobby-recording", onclick: () => this.join(),
    }), "lobby.join");
    this.append(h("section", { class: "page lobby", "aria-labelledby": "lobby-heading" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "lobby-heading", tabindex: "-1" }), "lobby.title"), this.titleEl),
      h("div", { class: "lobby-grid" },
        h("div", { class: "preview" }, this.video, this.placeholder),
        h("div", { class: "card lobby-settings" },
          this.recording.el, this.cameras.field, this.microphones.field,
          h("div", { class: "field" },
            tr(h("span", { class: "field-label", id: "level-label" }), "lobby.level"),
            this.meter),
          h("div", { class: "field checkbox" }, this.audioOnly,
            h("label", { for: "audio-only" },
              tr(h("span", {}), "lobby.audio_only"),
              tr(h("span", { class: "hint" }), "lobby.audio_only_hint"))),
          this.message,
          joinButton,
          tr(h("a", { href: "#/", class: "button secondary wide", "data-testid": "lobby-back" }),
            "lobby.back")))));
  }

  select(name, key) {
    const select = h("select", {
      id: `lobby-${name}`, "data-testid": `${name}-select`,
      onchange: () => this.changeDevice(),
    });
    const field = h("div", { class: "field" },
      tr(h("label", { for: `lobby-${name}` }), key), select);
    return { select, field };
  }

  async loadSession() {
    try {
      const session = await api(`/api/sessions/${this.sessionId}`);
      this.session = session;
      tr(this.titleEl, "lobby.session", {
        title: session.title,
        time: formatTime(session.starts_at, session.local.timezone),
      });
    } catch {
      tr(this.titleEl, "lobby.session_unknown");
    }
    this.recording.load(this.session ?? null);
    this.examCheckIn();
  }

  /** A proctored exam's student checks in first (the room refuses their media until then). */
  examCheckIn() {
    const entry = this.session ? examEntry(this.session, currentPerson()) : null;
    if (!entry) return;
    this.message.before(h("p", { class: "notice", "data-testid": "lobby-exam" },
      tr(h("span", {}), "proctoring.lobby_notice"), " ",
      tr(h("a", { href: entry, "data-testid": "lobby-exam-link" }), "proctoring.lobby_check_in")));
  }

  async preview() {
    stopStream(this.stream);
    this.stream = null;
    tr(this.message, "lobby.asking");
    this.message.classList.remove("error");
    const video = !this.audioOnly.checked;
    try {
      this.stream = await openMedia({
        audio: true, video, micId: this.prefs.micId, camId: this.prefs.camId,
      });
    } catch (error) {
      this.stream = await this.fallback(error, video);
    }
    this.show();
    await this.fillDevices();
  }

  async fallback(error, video) {
    // A missing camera should not cost the microphone (and the reverse): try each alone.
    let stream = null;
    if (error.reason === "no_device" || error.reason === "in_use") {
      stream = await openMedia({ audio: true, video: false, micId: this.prefs.micId })
        .catch(() => null);
      if (!stream && video) stream = await openMedia({ audio: false, video: true }).catch(() => null);
    }
    this.message.classList.add("error");
    const which = stream ? `lobby.partial_${error.reason}` : `lobby.error_${error.reason}`;
    tr(this.message, which);
    return stream;
  }

  show() {
    const hasVideo = Boolean(this.stream?.getVideoTracks().length);
    this.video.srcObject = hasVideo ? this.stream : null;
    this.video.hidden = !hasVideo;
    this.placeholder.hidden = hasVideo;
    const audio = this.stream?.getAudioTracks()[0];
    this.meter.attach(audio);
    if (this.stream && !this.message.classList.contains("error")) {
      tr(this.message, audio ? "lobby.ready" : "lobby.ready_no_mic");
    }
  }

  async fillDevices() {
    const { cameras, microphones } = await listDevices();
    const fill = ({ select }, devices, current, key) => {
      clear(select);
      devices.forEach((device, index) => {
        const option = device.label ? h("option", { value: device.deviceId }, device.label)
          : tr(h("option", { value: device.deviceId }), key, { number: index + 1 });
        option.selected = device.deviceId === current;
        select.append(option);
      });
      if (!devices.length) select.append(tr(h("option", { value: "" }), "lobby.none"));
      select.disabled = !devices.length;
    };
    const cam = this.stream?.getVideoTracks()[0]?.getSettings().deviceId ?? this.prefs.camId;
    const mic = this.stream?.getAudioTracks()[0]?.getSettings().deviceId ?? this.prefs.micId;
    fill(this.cameras, cameras, cam, "lobby.camera_n");
    fill(this.microphones, microphones, mic, "lobby.microphone_n");
    this.cameras.select.disabled ||= this.audioOnly.checked;
  }

  changeDevice() {
    this.prefs.camId = this.cameras.select.value;
    this.prefs.micId = this.microphones.select.value;
    savePrefs(this.prefs);
    this.preview();
  }

  changeAudioOnly() {
    this.prefs.audioOnly = this.audioOnly.checked;
    savePrefs(this.prefs);
    this.preview();
  }

  join() {
    savePrefs(this.prefs);
    this.meter.stop();
    handOver(this.stream);
    this.handed = true;
    go(`#/room/${this.sessionId}`);
  }
}

customElements.define("sabaq-lobby", LobbyView);
