// The participants panel: roles, raised hands, floor, and the tutor's per-person controls.

import { clear, h } from "../dom.js";
import { tr, trAttr } from "../i18n.js";

const FLOOR_KINDS = new Set(["lecture", "colloquium"]);

export class ParticipantsPanel {
  constructor(session) {
    this.session = session;
    this.heading = h("h2", { id: "participants-heading" });
    this.list = h("ul", { class: "people", role: "list", "data-testid": "participants-list" });
    this.el = h("section", {
      class: "side-panel participants", "aria-labelledby": "participants-heading",
      "data-testid": "participants-panel",
    }, this.heading, this.list);
  }

  render() {
    const roster = this.session.roster;
    tr(this.heading, "room.participants", { count: roster.people.size });
    const focused = document.activeElement?.dataset?.testid;
    clear(this.list).append(...roster.ordered().map((person) => this.row(person, roster)));
    if (focused) this.list.querySelector(`[data-testid="${focused}"]`)?.focus();
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
    return h("li", { class: "person", "data-testid": `participant-${id}` },
      h("span", { class: "person-name" }, person.name), badges,
      roster.moderator && !isMe ? this.actions(person, roster) : null);
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
    if (person.hand_raised) button(`lower-hand-${id}`, "room.lower_hand",
      () => this.session.lowerHand(id));
    if (FLOOR_KINDS.has(roster.kind) && person.role === "student") {
      if (person.has_floor) button(`floor-${id}`, "room.take_floor",
        () => this.session.setFloor(id, false));
      else button(`floor-${id}`, "room.give_floor", () => this.session.setFloor(id, true));
    }
    if (!person.grants.includes("moderate")) {
      button(`mute-${id}`, "room.mute", () => this.session.moderate("mute", id));
      button(`remove-${id}`, "room.remove", () => this.session.moderate("remove", id));
    }
    const group = h("div", { class: "person-actions", role: "group" }, buttons);
    trAttr(group, { "aria-label": ["room.actions_for", { name }] });
    return group;
  }
}
