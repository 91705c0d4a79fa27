// The student's page while the exam runs: the state (running, paused by the proctor), the
// private-talk banner, what the proctor sees, what the page noted, the chat with the proctor,
// and the hand-in with confirmation. exam-view.js owns the data; this is the view.

import { h } from "../dom.js";
import { formatTime, t, tr, trAttr, untr } from "../i18n.js";
import { since } from "../proctoring/api.js";
import { ChatPanel } from "../room/chat-panel.js";
import { playTrack, shownTrack, trackVideo } from "../room/tiles.js";

const NOTED_LIMIT = 30;

function selfVideo(testid, key) {
  const video = trackVideo("self-video", { "data-testid": testid });
  trAttr(video, { "aria-label": [key] });
  return video;
}

export class ExamLive {
  /** actions: {handIn, reshare, recamera, fullscreen} */
  constructor(room, actions) {
    this.room = room;
    this.actions = actions;
    this.state = h("span", { class: "exam-state", "data-testid": "exam-state" });
    this.clock = h("span", { class: "exam-clock", "data-testid": "exam-clock" });
    this.talk = h("p", { class: "talk-banner", role: "alert", hidden: true,
      "data-testid": "private-talk" });
    this.paused = tr(h("p", { class: "banner paused-banner", role: "status", hidden: true,
      "data-testid": "paused-banner" }), "proctoring.paused_banner");
    this.screenLost = h("div", { class: "banner lost-banner", role: "alert", hidden: true,
      "data-testid": "screen-lost" },
    tr(h("span", {}), "proctoring.screen_lost"),
    tr(h("button", { type: "button", class: "button small", "data-testid": "reshare",
      onclick: () => actions.reshare() }), "proctoring.share_again"));
    this.cameraLost = h("div", { class: "banner lost-banner", role: "alert", hidden: true,
      "data-testid": "camera-lost" },
    tr(h("span", {}), "proctoring.camera_lost"),
    tr(h("button", { type: "button", class: "button small", "data-testid": "recamera",
      onclick: () => actions.recamera() }), "proctoring.turn_on_again"));
    this.fullscreen = tr(h("button", { type: "button", class: "button small",
      "data-testid": "enter-fullscreen", onclick: () => actions.fullscreen() }),
    "proctoring.fullscreen");
    this.connection = tr(h("p", { class: "banner", role: "status", hidden: true,
      "data-testid": "exam-reconnecting" }), "proctoring.reconnecting");
    this.camera = selfVideo("exam-self-camera", "proctoring.source_camera");
    this.screen = selfVideo("exam-self-screen", "proctoring.source_screen");
    this.noted = h("ol", { class: "noted-list", "data-testid": "noted-list" });
    this.pending = h("p", { class: "hint", "data-testid": "flags-pending" });
    this.chatPanel = new ChatPanel(room);
    this.dialog = this.handInDialog();
    const handIn = tr(h("button", { type: "button", class: "button danger",
      "data-testid": "hand-in", onclick: () => this.dialog.showModal() }), "proctoring.hand_in");
    this.el = h("div", { class: "exam-live", "data-testid": "exam-live" },
      h("div", { class: "exam-bar" },
        h("div", { class: "exam-bar-state" }, this.state, this.clock),
        h("div", { class: "exam-bar-actions" }, this.fullscreen, handIn)),
      this.connection, this.talk, this.paused, this.screenLost, this.cameraLost,
      h("div", { class: "exam-body" },
        h("section", { class: "card exam-watch", "aria-labelledby": "watch-heading" },
          tr(h("h2", { id: "watch-heading" }), "proctoring.what_proctor_sees"),
          h("div", { class: "self-views" },
            h("figure", {}, this.camera, tr(h("figcaption", {}), "proctoring.source_camera")),
            h("figure", {}, this.screen, tr(h("figcaption", {}), "proctoring.source_screen"))),
          tr(h("h3", { id: "noted-heading" }), "proctoring.noted_title"),
          tr(h("p", { class: "hint" }), "proctoring.noted_hint"),
          h("div", { role: "log", "aria-labelledby": "noted-heading" }, this.noted),
          this.pending),
        h("div", { class: "exam-chat" }, this.chatPanel.el)),
      this.dialog);
    this.timer = setInterval(() => this.tick(), 1000);
  }

  handInDialog() {
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": "handin-heading",
      "data-testid": "hand-in-dialog" },
    tr(h("h2", { id: "handin-heading" }), "proctoring.hand_in_title"),
    tr(h("p", {}), "proctoring.hand_in_question"),
    h("div", { class: "dialog-buttons" },
      tr(h("button", { type: "button", class: "button secondary", "data-testid": "hand-in-cancel",
        onclick: () => dialog.close() }), "proctoring.cancel"),
      tr(h("button", { type: "button", class: "button danger", "data-testid": "hand-in-confirm",
        onclick: () => {
          dialog.close();
          this.actions.handIn();
        } }), "proctoring.hand_in_confirm")));
    return dialog;
  }

  setInfo(session) {
    this.chatPanel.setInfo({ tutorId: session.tutor_id, tutorName: session.tutor_name,
      zone: session.local?.timezone });
    this.zone = session.local?.timezone;
  }

  setCheckin(checkin) {
    this.checkin = checkin;
    const state = checkin.state;
    tr(this.state, `proctoring.state_${state}`);
    this.state.dataset.state = state;
    this.paused.hidden = state !== "paused";
    this.tick();
  }

  tick() {
    if (this.checkin?.started_at) {
      tr(this.clock, "proctoring.elapsed", { time: since(this.checkin.started_at) });
    }
    this.fullscreen.hidden = Boolean(document.fullscreenElement) || !document.fullscreenEnabled;
  }

  setTracks(media) {
    for (const [video, track] of [[this.camera, media.camera], [this.screen, media.screen]]) {
      if (shownTrack(video) !== track) playTrack(video, track);
    }
    this.screenLost.hidden = media.screenOk();
    this.cameraLost.hidden = media.alive("camera") && media.alive("microphone");
  }

  setConnection(state) {
    this.connection.hidden = state !== "reconnecting";
  }

  /** The proctor started or stopped talking to this student alone. */
  setTalk(message) {
    if (!message.active) {
      this.talk.hidden = true;
      return;
    }
    const name = message.from?.name ?? t("role.proctor");
    tr(this.talk, "proctoring.private_talk", { name });
    this.talk.hidden = false;
  }

  noteFlag(item) {
    const li = h("li", { "data-kind": item.kind },
      h("time", { datetime: item.at }, formatTime(item.at, this.zone)), " ",
      tr(h("span", {}), `proctoring.flag_${item.kind}`));
    this.noted.prepend(li);
    while (this.noted.children.length > NOTED_LIMIT) this.noted.lastElementChild.remove();
  }

  setPending(count) {
    if (count) tr(this.pending, "proctoring.flags_pending", { count });
    else {
      untr(this.pending);
    }
  }

  render() {
    this.chatPanel.render();
  }

  destroy() {
    clearInterval(this.timer);
    this.chatPanel.destroy();
  }
}
