// The student's proctored exam page (#/exam/{session}): check-in (privacy notice, camera,
// microphone and entire screen, face and document photos), the wait for the proctor's
// decision (live over the exam room, with polling as a fallback), then the exam itself:
// publishing, behaviour flags, camera frames for the face check, and the hand-in.

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { h } from "../dom.js";
import { t, tr } from "../i18n.js";
import { FINISHED, mine, post, RUNNING } from "../proctoring/api.js";
import { ExamMedia } from "../proctoring/devices.js";
import { ExamRoom } from "../proctoring/exam-room.js";
import { ExamGuard } from "../proctoring/exam-guard.js";
import { FlagReporter } from "../proctoring/flags.js";
import { playTrack, trackVideo } from "../room/tiles.js";
import { DevicesStep, PhotosStep, privacyStep } from "./exam-checkin.js";
import { ExamLive } from "./exam-live.js";

const POLL_MS = 4000;
const STEPS = ["privacy", "devices", "photos", "decision", "exam"];

class ExamView extends HTMLElement {
  connectedCallback() {
    this.sessionId = Number(this.getAttribute("session-id"));
    this.person = currentPerson();
    this.media = new ExamMedia();
    this.reporter = new FlagReporter(this.sessionId);
    this.accepted = false;
    this.audio = new Map();
    this.build();
    this.load();
    this.onUnload = () => this.room?.leave();
    window.addEventListener("pagehide", this.onUnload);
  }

  disconnectedCallback() {
    window.removeEventListener("pagehide", this.onUnload);
    clearInterval(this.poller);
    if (this.guard && RUNNING.has(this.checkin?.state)) {
      // Leaving the exam page for another page of the app stops the exam's media: say so.
      this.reporter.report("tab_hidden", "left the exam page");
    }
    this.guard?.stop();
    this.reporter.stop();
    this.live?.destroy();
    this.room?.leave();
    this.media.stop();
  }

  build() {
    this.titleEl = h("p", { class: "lead", "data-testid": "exam-title" });
    this.steps = h("ol", { class: "steps", "data-testid": "exam-steps" },
      STEPS.map((step, index) => h("li", { "data-step": step },
        h("span", { class: "step-number", "aria-hidden": "true" }, String(index + 1)),
        tr(h("span", {}), `proctoring.step_${step}`))));
    this.steps.setAttribute("aria-label", t("proctoring.steps_label"));
    this.body = h("div", { class: "card exam-card", "data-testid": "exam-body" });
    this.announcer = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite",
      "data-testid": "exam-announcer" });
    this.append(h("section", { class: "page exam-page", "aria-labelledby": "exam-heading" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "exam-heading", tabindex: "-1" }), "proctoring.exam_title"),
        this.titleEl),
      this.steps, this.body, this.announcer));
  }

  async load() {
    try {
      this.session = await api(`/api/sessions/${this.sessionId}`);
      this.titleEl.textContent = this.session.title;
      this.checkin = await mine(this.sessionId);
    } catch (error) {
      this.show("failed", h("div", {}, tr(h("h2", {}), "proctoring.load_failed"),
        h("p", { "data-testid": "exam-error" }, error.message || t("error.network"))));
      return;
    }
    await this.reporter.syncClock();
    this.reporter.flush();
    this.route();
  }

  /** Shows one step's content and marks it in the step list. */
  show(step, content) {
    for (const li of this.steps.children) {
      const index = STEPS.indexOf(li.dataset.step);
      const at = STEPS.indexOf(step);
      li.classList.toggle("done", at > index);
      if (li.dataset.step === step) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    this.steps.hidden = step === "exam" || step === "finished";
    this.body.classList.toggle("plain", step === "exam");
    this.body.replaceChildren(content);
    this.body.dataset.step = step;
    content.querySelector?.("#step-heading, h2")?.focus?.();
  }

  route() {
    const state = this.checkin.state;
    this.dataset.state = state;
    if (FINISHED.has(state)) this.finished();
    else if (RUNNING.has(state)) this.needDevices(() => this.startLive());
    else if (state === "approved") this.needDevices(() => this.ready());
    else if (state === "awaiting_identity") this.waiting();
    else if (!this.accepted && state !== "rejected") this.privacy();
    else this.needDevices(() => this.photos());
  }

  privacy() {
    this.show("privacy", privacyStep(() => this.accept(), this.checkin.privacy).el);
  }

  async accept() {
    this.accepted = true;
    if (this.checkin.state === "not_started") {
      try {
        this.checkin = await post(this.sessionId, "me/begin");
      } catch (error) {
        this.say("proctoring.action_failed", { reason: error.message });
        return;
      }
    }
    this.needDevices(() => this.photos());
  }

  needDevices(then) {
    if (this.media.ready) {
      then();
      return;
    }
    const step = new DevicesStep(this.media, () => then());
    this.show("devices", step.el);
  }

  photos() {
    const step = new PhotosStep(this.sessionId, this.media, this.checkin, () => this.submit(step));
    const reason = this.checkin.state === "rejected" ? this.rejection() : null;
    this.show("photos", h("div", {}, reason, step.el));
  }

  rejection() {
    return h("div", { class: "notice error", role: "alert", "data-testid": "rejection" },
      tr(h("strong", {}), "proctoring.rejected_title"), " ",
      tr(h("span", { "data-testid": "rejection-reason" }), "proctoring.rejected_reason",
        { reason: this.checkin.rejection_reason ?? "" }));
  }

  async submit(step) {
    step.next.disabled = true;
    try {
      this.checkin = await post(this.sessionId, "me/submit", this.media.report());
      this.route();
    } catch (error) {
      step.next.disabled = false;
      tr(step.message, "proctoring.action_failed", { reason: error.message });
    }
  }

  waiting() {
    this.ensureRoom();
    this.startPolling();
    const preview = trackVideo("check-video small", { "aria-hidden": "true" });
    playTrack(preview, this.media.camera ?? null);
    this.show("decision", h("div", { class: "waiting", "data-testid": "waiting" },
      h("div", { class: "spinner", "aria-hidden": "true" }),
      tr(h("h2", { id: "step-heading", tabindex: "-1" }), "proctoring.waiting_title"),
      tr(h("p", { class: "lead" }), "proctoring.waiting_lead"),
      preview));
    this.say("proctoring.waiting_title");
  }

  ready() {
    this.ensureRoom();
    this.startPolling();
    const start = tr(h("button", { type: "button", class: "button accent",
      "data-testid": "exam-start", onclick: () => this.start(start) }), "proctoring.start_exam");
    this.show("decision", h("div", { class: "approved", "data-testid": "approved" },
      tr(h("h2", { id: "step-heading", tabindex: "-1" }), "proctoring.approved_title"),
      tr(h("p", { class: "lead" }), "proctoring.approved_lead"), start));
    this.say("proctoring.approved_title");
  }

  async start(button) {
    button.disabled = true;
    this.enterFullscreen(); // needs the click's user activation: before any await
    try {
      this.checkin = await post(this.sessionId, "me/start");
    } catch (error) {
      button.disabled = false;
      this.say("proctoring.action_failed", { reason: error.message });
      return;
    }
    this.route();
  }

  enterFullscreen() {
    if (document.fullscreenEnabled && !document.fullscreenElement) {
      document.documentElement.requestFullscreen?.().catch(() => null);
    }
  }

  startPolling() {
    if (this.poller) return;
    this.poller = setInterval(async () => {
      const fresh = await mine(this.sessionId).catch(() => null);
      if (fresh && fresh.state !== this.checkin.state) this.apply(fresh);
    }, POLL_MS);
  }

  ensureRoom() {
    if (this.room) return;
    this.room = new ExamRoom(this.sessionId, this.person?.id ?? null);
    this.room.addEventListener("message", (event) => this.onMessage(event.detail));
    this.room.addEventListener("slots", (event) => this.playVoices(event.detail));
    this.room.addEventListener("state", (event) => this.onConnection(event.detail.state));
    this.room.chat.addEventListener("change", () => this.live?.render());
    this.room.start();
  }

  onMessage(message) {
    if (message.type === "exam_state" && message.student_id === undefined) {
      const next = { ...this.checkin, state: message.state };
      if (message.state === "rejected") next.rejection_reason = message.reason;
      if (message.state === "ended_by_proctor") next.end_reason = message.reason;
      this.apply(next, true);
    } else if (message.type === "private_talk") this.live?.setTalk(message);
    else if (["joined", "participant_joined", "participant_left"].includes(message.type)) {
      this.live?.render();
    }
  }

  /** A new state from the room or the poll. */
  async apply(next, fromRoom = false) {
    const before = this.checkin.state;
    this.checkin = next;
    if (fromRoom) this.checkin = await mine(this.sessionId).catch(() => next);
    const state = this.checkin.state;
    if (state === before) return;
    this.say(`proctoring.state_${state}`);
    if (RUNNING.has(state) && RUNNING.has(before)) this.live?.setCheckin(this.checkin);
    else this.route();
  }

  onConnection(state) {
    this.live?.setConnection(state);
    this.guard?.connection(state);
  }

  playVoices(slots) {
    const seen = new Set();
    for (const slot of slots.filter((s) => s.kind === "audio" && s.track)) {
      seen.add(slot.track_id);
      if (this.audio.has(slot.track_id)) continue;
      const audio = h("audio", { autoplay: true, "data-testid": `voice-${slot.publisher_id}` });
      playTrack(audio, slot.track);
      this.audio.set(slot.track_id, audio);
      this.append(audio);
    }
    for (const [id, audio] of this.audio) {
      if (!seen.has(id)) {
        audio.remove();
        this.audio.delete(id);
      }
    }
  }

  startLive() {
    clearInterval(this.poller);
    this.poller = null;
    this.ensureRoom();
    if (!this.live) {
      this.live = new ExamLive(this.room, {
        handIn: () => this.handIn(),
        reshare: () => this.reshare(),
        recamera: () => this.recamera(),
        fullscreen: () => this.enterFullscreen(),
      });
      if (this.session) this.live.setInfo(this.session);
      this.guard = new ExamGuard({ sessionId: this.sessionId, media: this.media, room: this.room,
        reporter: this.reporter, state: () => this.checkin.state,
        camera: () => this.live.camera });
      this.guard.addEventListener("change", () => this.live?.setTracks(this.media));
      this.reporter.addEventListener("queued", (event) => {
        this.live?.noteFlag(event.detail);
        this.live?.setPending(this.reporter.pending);
      });
      this.reporter.addEventListener("idle", () => this.live?.setPending(this.reporter.pending));
      this.guard.start();
    }
    this.live.setCheckin(this.checkin);
    this.live.setTracks(this.media);
    this.show("exam", this.live.el);
    this.startPolling();
  }

  async reshare() {
    try {
      await this.guard.reshare();
    } catch (error) {
      this.say(error.reason === "not_monitor" ? "proctoring.screen_not_monitor"
        : `proctoring.screen_${error.reason ?? "failed"}`, { surface: error.surface });
    }
  }

  async recamera() {
    try {
      await this.guard.reopenDevices();
    } catch (error) {
      this.say(`proctoring.devices_${error.reason ?? "failed"}`);
    }
  }

  async handIn() {
    try {
      this.checkin = await post(this.sessionId, "me/hand-in");
    } catch (error) {
      this.say("proctoring.action_failed", { reason: error.message });
      return;
    }
    this.route();
  }

  finished() {
    clearInterval(this.poller);
    this.guard?.stop();
    this.guard = null;
    this.live?.destroy();
    this.live = null;
    this.room?.leave();
    this.room = null;
    this.media.stop();
    if (document.fullscreenElement) document.exitFullscreen().catch(() => null);
    const state = this.checkin.state;
    const reason = this.checkin.end_reason;
    this.show("finished", h("div", { class: "finished", "data-testid": "exam-finished" },
      tr(h("h2", { id: "step-heading", tabindex: "-1" }), `proctoring.finished_${state}`),
      reason ? tr(h("p", { "data-testid": "end-reason" }), "proctoring.end_reason", { reason })
        : null,
      tr(h("p", {}), "proctoring.finished_lead"),
      tr(h("a", { href: "#/", class: "button primary" }), "proctoring.back_to_schedule")));
  }

  say(key, args) {
    tr(this.announcer, key, args);
  }
}

customElements.define("sabaq-exam", ExamView);
