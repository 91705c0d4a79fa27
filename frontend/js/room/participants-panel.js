// The participants panel: raised hands in order, roles, floor, and the tutor's per-person
// controls (lower hand, floor, private message, mute, remove).

import { clear, h } from "../dom.js";
import { tr, trAttr } from "../i18n.js";

const FLOOR_KINDS = new Set(["lecture", "colloquium"]);

export class ParticipantsPanel {
  /** onMessage(participant): open the chat with a private message to that participant. */
  constructor(session, onMessage) {
    this.session = session;
    this.onMessage = onMessage;
    this.heading = h("h2", { id: "participants-heading" });
    this.handsHeading = h("h3", { id: "hands-heading", class: "subheading" });
    this.hands = h("ol", { class: "hands", "data-testid": "hands-list",
      "aria-labelledby": "hands-heading" });
    this.handsBox = h("div", { class: "hands-box", "data-testid": "hands" },
      this.handsHeading, this.hands);
    this.list = h("ul", { class: "people", role: "list", "data-testid": "participants-list" });
    this.el = h("section", {
      class: "side-panel participants", "aria-labelledby": "participants-heading",
      "data-testid": "participants-panel",
    }, this.heading, this.handsBox, this.list);
  }

  render() {
    const roster = this.session.roster;
    tr(this.heading, "room.participants", { count: roster.people.size });
    const focused = this.el.contains(document.activeElement)
      ? document.activeElement?.dataset?.testid : null;
    const hands = roster.hands();
    this.handsBox.hidden = hands.length === 0;
    tr(this.handsHeading, "room.hands_queue", { count: hands.length });
    clear(this.hands).append(...hands.map((person) => this.hand(person, roster)));
    clear(this.list).append(...roster.ordered().map((person) => this.row(person, roster)));
    if (focused) this.el.querySelector(`[data-testid="${focused}"]`)?.focus();
  }

  hand(person, roster) {
    const id = person.participant_id;
    const isMe = id === roster.me;
    let action = null;
    if (roster.moderator && !isMe) {
      action = tr(h("button", { type: "button", class: "button small",
        "data-testid": `lower-hand-${id}`, onclick: () => this.session.lowerHand(id) }),
      "room.lower_hand");
      trAttr(action, { "aria-label": ["room.lower_hand_for", { name: person.name }] });
    } else if (isMe) {
      action = tr(h("button", { type: "button", class: "button small",
        "data-testid": "lower-own-hand", onclick: () => this.session.raiseHand(false) }),
      "room.lower_own_hand");
    }
    return h("li", { class: "hand-item", "data-testid": `hand-queue-${id}` },
      h("span", { class: "person-name" }, person.name),
      isMe ? tr(h("span", { class: "badge" }), "room.you") : null, action);
  }

  row(person, roster) {
    const id = person.participant_id;
    const isMe = id === roster.me;
    const badges = h("span", { class: "person-badges" },
      tr(h("span", { class: `badge role-${person.role}` }), `role.${person.role}`),
      isMe ? tr(h("span", { class: "badge" }), "room.you") : null,
      person.hand_raised ? tr(h("span", { class: "badge hand", "data-testid": `hand-${id}` }),
        "room.hand_up") : null,
      person.has_floor ? tr(h("span", { class: "badge floor" }), "room.has_floor") : null,
      person.connected ? null : tr(h("span", { class: "badge warn" }), "room.disconnected"));
    if (person.agent) {
      // A server-side client (the recorder), not a person: no roles, no actions.
      return h("li", { class: "person agent", "data-testid": `participant-${id}` },
        tr(h("span", { class: "person-name" }), "room.recorder"),
        h("span", { class: "person-badges" },
          tr(h("span", { class: "badge warn" }), "room.recording")));
    }
    let actions = null;
    if (roster.moderator && !isMe) actions = this.actions(person, roster);
    else if (!isMe && person.grants.includes("moderate") && roster.self?.grants.includes("chat")) {
      actions = this.group(person.name, [this.messageButton(person)]);
    }
    return h("li", { class: "person", "data-testid": `participant-${id}` },
      h("span", { class: "person-name" }, person.name), badges, actions);
  }

  messageButton(person) {
    const el = tr(h("button", { type: "button", class: "button small",
      "data-testid": `message-${person.participant_id}`, onclick: () => this.onMessage(person) }),
    "room.message");
    trAttr(el, { "aria-label": ["room.message_for", { name: person.name }] });
    return el;
  }

  actions(person, roster) {
    const id = person.participant_id;
    const name = person.name;
    const buttons = [];
    const button = (testid, key, onclick) => {
      const el = tr(h("button", { type: "button", class: "button small", "data-testid": testid,
        onclick }), key);
      trAttr(el, { "aria-label": [`${key}_for`, { name }] });
      buttons.push(el);
    };
    if (FLOOR_KINDS.has(roster.kind) && person.role === "student") {
      if (person.has_floor) button(`floor-${id}`, "room.take_floor",
        () => this.session.setFloor(id, false));
      else button(`floor-${id}`, "room.give_floor", () => this.session.setFloor(id, true));
    }
    if (person.role === "student") buttons.push(this.messageButton(person));
    if (!person.grants.includes("moderate")) {
      button(`mute-${id}`, "room.mute", () => this.session.moderate("mute", id));
      button(`remove-${id}`, "room.remove", () => this.session.moderate("remove", id));
    }
    return this.group(name, buttons);
  }

  group(name, buttons) {
    const group = h("div", { class: "person-actions", role: "group" }, buttons);
    trAttr(group, { "aria-label": ["room.actions_for", { name }] });
    return group;
  }
}
