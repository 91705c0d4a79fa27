// The room's control bar: microphone, camera, screen, hand, side panels (participants, chat with
// its unread count, attendance), tutor controls, leave.

import { h } from "../dom.js";
import { tr, trAttr, untr } from "../i18n.js";

export class Controls {
  constructor(handlers) {
    this.handlers = handlers;
    this.buttons = {};
    this.el = h("div", { class: "controls", role: "group", "data-testid": "controls" });
    trAttr(this.el, { "aria-label": ["room.controls"] });
    this.own = h("div", { class: "controls-own" });
    this.moderation = h("div", { class: "controls-moderation" });
    this.el.append(this.own, this.moderation);
    for (const name of ["mic", "camera", "screen", "hand", "people", "chat", "attendance"]) {
      this.add(this.own, name);
    }
    this.unread = h("span", { class: "control-badge", "aria-hidden": "true",
      "data-testid": "chat-unread", hidden: true });
    this.unreadText = h("span", { class: "visually-hidden" });
    this.buttons.chat.append(this.unread, this.unreadText);
    for (const name of ["lock", "mute_all", "end"]) this.add(this.moderation, name);
    this.add(this.el, "leave");
  }

  add(parent, name) {
    const icon = h("span", { class: `icon icon-${name}`, "aria-hidden": "true" });
    const label = h("span", { class: "control-label" });
    const button = h("button", {
      type: "button", class: `control control-${name}`, "data-testid": `control-${name}`,
      onclick: () => this.handlers[name]?.(),
    }, icon, label);
    button.label = label;
    this.buttons[name] = button;
    parent.append(button);
  }

  /** state: {mic, camera, screen, hand, people, chat, attendance, locked} (booleans),
   * mayPublish, moderator, canAttend (the attendance roster), unread (a count). */
  update(state) {
    const b = this.buttons;
    // Toggle buttons keep one label; aria-pressed (and the styling) carries the state.
    this.toggle(b.mic, state.mic, "room.microphone");
    this.toggle(b.camera, state.camera, "room.camera");
    this.toggle(b.screen, state.screen, "room.screen_share");
    this.toggle(b.hand, state.hand, "room.hand_raise");
    this.toggle(b.people, state.people, "room.people");
    this.toggle(b.chat, state.chat, "room.chat");
    this.toggle(b.attendance, state.attendance, "room.attendance");
    b.attendance.hidden = !state.canAttend;
    const unread = state.unread ?? 0;
    this.unread.hidden = unread === 0;
    this.unread.textContent = unread > 99 ? "99+" : String(unread);
    if (unread) tr(this.unreadText, "chat.unread", { unread });
    else {
      untr(this.unreadText);
    }
    this.toggle(b.lock, state.locked, "room.lock");
    tr(b.mute_all.label, "room.mute_all");
    tr(b.end.label, "room.end");
    tr(b.leave.label, "room.leave");
    b.end.classList.add("danger");
    b.leave.classList.add("danger");
    for (const name of ["mic", "camera", "screen"]) b[name].hidden = !state.mayPublish;
    b.hand.hidden = state.moderator;
    this.moderation.hidden = !state.moderator;
  }

  toggle(button, on, key) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    tr(button.label, key);
  }
}
