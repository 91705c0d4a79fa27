// The exam's own rules on the grid (GET/PATCH /api/sessions/{id}/proctoring): for now whether
// speech is allowed. Only the session's tutor, staff and admins may change them; the server
// refuses proctors, so a proctor sees the rule read-only.

import { api } from "../api.js";
import { h } from "../dom.js";
import { tr, untr } from "../i18n.js";
import { base } from "./api.js";

const SETTERS = new Set(["staff", "admin"]);
const CLOSED = new Set(["ended", "cancelled"]);

export function setsRules(session, person) {
  return Boolean(person) && (SETTERS.has(person.role) || session.tutor_id === person.id);
}

export class ExamRulesPanel {
  constructor(sessionId) {
    this.sessionId = sessionId;
    this.editable = false;
    this.saving = false;
    // Bumped on every change, so that a roster answer begun before it cannot undo it.
    this.version = 0;
    // A switch, not a plain checkbox: flipping it takes effect at once, with no save button.
    this.input = h("input", { type: "checkbox", role: "switch", id: "grid-speech-allowed",
      disabled: true, "aria-describedby": "grid-speech-hint grid-speech-state",
      "data-testid": "grid-speech-allowed", onchange: () => this.save() });
    this.hint = tr(h("span", { id: "grid-speech-hint", class: "hint" }),
      "proctoring.speech_allowed_hint");
    this.state = h("span", { id: "grid-speech-state", class: "hint rules-state",
      role: "status", "data-testid": "grid-speech-state" });
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "grid-speech-error" });
    this.el = h("section", { class: "grid-rules", hidden: true, "aria-labelledby":
      "grid-rules-heading", "data-testid": "grid-rules" },
    tr(h("h2", { id: "grid-rules-heading", class: "visually-hidden" }), "proctoring.rules_title"),
    h("div", { class: "field checkbox" }, this.input,
      h("div", { class: "rules-text" },
        tr(h("label", { for: "grid-speech-allowed" }), "proctoring.speech_allowed_label"),
        this.hint, this.state)),
    this.error);
  }

  /** Shows the rule as the server has it; ``session`` and ``person`` decide who may change it. */
  async load(session, person) {
    this.editable = setsRules(session, person) && !CLOSED.has(session.status);
    if (!setsRules(session, person)) tr(this.state, "proctoring.rules_read_only");
    else if (!this.editable) tr(this.state, "proctoring.rules_closed");
    try {
      const rules = await api(base(this.sessionId));
      this.show(rules.speech_allowed);
    } catch (error) {
      tr(this.error, "proctoring.load_failed_reason", { reason: error.message });
    }
    this.el.hidden = false;
  }

  /** The roster's copy of the rule, polled with the grid, so another setter's change shows;
   * ``seenVersion`` is ``version`` when that request began. */
  sync(allowed, seenVersion) {
    if (this.saving || seenVersion !== this.version || typeof allowed !== "boolean") return;
    this.show(allowed);
  }

  show(allowed) {
    this.input.checked = allowed;
    this.input.disabled = !this.editable || this.saving;
  }

  async save() {
    const wanted = this.input.checked;
    this.version += 1;
    this.saving = true;
    this.input.disabled = true;
    untr(this.error);
    tr(this.state, "proctoring.rules_saving");
    try {
      const rules = await api(base(this.sessionId),
        { method: "PATCH", body: { speech_allowed: wanted } });
      this.saving = false;
      this.show(rules.speech_allowed);
      tr(this.state, rules.speech_allowed ? "proctoring.speech_allowed_on"
        : "proctoring.speech_allowed_off");
    } catch (error) {
      this.saving = false;
      this.show(!wanted);
      untr(this.state);
      tr(this.error, "proctoring.rules_failed", { reason: error.message || error.code });
    }
    this.version += 1;
  }
}
