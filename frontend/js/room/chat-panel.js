// The chat panel: pinned announcements, the message list (text only: user content never
// becomes markup; http(s) links become safe anchors), the composer with its recipient choice,
// and the moderator's delete buttons and "student chat" switch.

import { clear, h } from "../dom.js";
import { formatTime, t, tr, trAttr, untr } from "../i18n.js";
import { MAX_CHAT_TEXT } from "./chat.js";

const EXAM_KINDS = new Set(["midterm", "exam"]);
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}»"']+$/;

/** Text with its http(s) links as anchors; everything else stays text nodes. */
export function linkify(text) {
  const parts = [];
  let at = 0;
  for (const found of text.matchAll(URL_PATTERN)) {
    let raw = found[0];
    const tail = raw.match(TRAILING)?.[0] ?? "";
    raw = raw.slice(0, raw.length - tail.length);
    let url = null;
    try {
      url = new URL(raw);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) continue;
    if (found.index > at) parts.push(document.createTextNode(text.slice(at, found.index)));
    const link = h("a", { rel: "noopener noreferrer", target: "_blank", class: "chat-link" }, raw);
    link.href = url.href;
    parts.push(link);
    at = found.index + raw.length;
  }
  if (at < text.length) parts.push(document.createTextNode(text.slice(at)));
  return parts;
}

function errorKey(detail) {
  const message = detail.message ?? "";
  if (detail.code === "rate_limited") return "chat.error_rate_limited";
  if (detail.code === "forbidden") {
    if (message.includes("student chat off")) return "chat.error_chat_off";
    if (message.includes("exam")) return "chat.error_exam";
    if (message.includes("privately")) return "chat.error_private_only";
    return "chat.error_forbidden";
  }
  if (detail.code === "not_found") {
    return detail.kind === "message" ? "chat.error_recipient" : "chat.error_not_found";
  }
  if (detail.code === "validation_failed" || detail.code === "bad_message") {
    return "chat.error_invalid";
  }
  return "chat.error_generic";
}

export class ChatPanel {
  /** info: {canExport, tutorId, tutorName} (from the session; may come later via setInfo). */
  constructor(session) {
    this.session = session;
    this.chat = session.chat;
    this.info = {};
    this.build();
    this.chat.addEventListener("change", () => this.render());
    this.chat.addEventListener("failed", (event) => this.showError(event.detail));
    this.onLocale = () => {
      this.signature = null; // recipient options carry translated roles
      this.render();
    };
    window.addEventListener("sabaq:locale", this.onLocale);
  }

  destroy() {
    window.removeEventListener("sabaq:locale", this.onLocale);
  }

  build() {
    this.heading = tr(h("h2", { id: "chat-heading" }), "chat.title");
    this.exportLink = tr(h("a", { class: "button small", "data-testid": "chat-export",
      hidden: true, download: "" }), "chat.export_csv");
    this.studentsBox = h("input", { type: "checkbox", id: "chat-students",
      "data-testid": "chat-students-toggle",
      onchange: () => this.chat.allowStudents(this.studentsBox.checked) });
    this.studentsField = h("div", { class: "chat-switch", hidden: true },
      this.studentsBox, tr(h("label", { for: "chat-students" }), "chat.students_may_chat"));
    this.state = h("p", { class: "chat-state", "data-testid": "chat-state" });
    this.pinnedHeading = tr(h("h3", { id: "chat-pinned-heading", class: "subheading" }),
      "chat.pinned");
    this.pinnedList = h("ul", { class: "chat-pinned-list", role: "list" });
    this.pinned = h("section", { class: "chat-pinned", "aria-labelledby": "chat-pinned-heading",
      "data-testid": "chat-pinned", hidden: true }, this.pinnedHeading, this.pinnedList);
    this.list = h("ol", { class: "chat-list", "data-testid": "chat-list", tabindex: "0" });
    trAttr(this.list, { "aria-label": ["chat.messages"] });
    this.empty = tr(h("p", { class: "chat-empty", "data-testid": "chat-empty" }), "chat.empty");
    this.el = h("section", {
      class: "side-panel chat", "aria-labelledby": "chat-heading", "data-testid": "chat-panel",
    },
      h("div", { class: "panel-head" }, this.heading, this.exportLink),
      this.studentsField, this.state, this.pinned, this.empty, this.list, this.composer());
  }

  composer() {
    this.to = h("select", { id: "chat-to", "data-testid": "chat-to",
      onchange: () => this.syncComposer() });
    this.announce = h("input", { type: "checkbox", id: "chat-announce",
      "data-testid": "chat-announce" });
    this.announceField = h("div", { class: "chat-announce-field", hidden: true },
      this.announce, tr(h("label", { for: "chat-announce" }), "chat.as_announcement"));
    this.text = h("textarea", {
      id: "chat-text", rows: 2, maxlength: String(MAX_CHAT_TEXT), "data-testid": "chat-input",
      "aria-describedby": "chat-counter chat-hint",
      oninput: () => this.count(), onkeydown: (event) => this.onKey(event),
    });
    this.counter = h("span", { id: "chat-counter", class: "chat-counter",
      "data-testid": "chat-counter" });
    this.error = h("p", { class: "chat-error", role: "alert", "data-testid": "chat-error" });
    this.sendButton = tr(h("button", { type: "submit", class: "button primary small-primary",
      "data-testid": "chat-send" }), "chat.send");
    this.form = h("form", { class: "chat-form", "data-testid": "chat-form", novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        this.submit();
      } },
      h("div", { class: "chat-to-row" },
        tr(h("label", { for: "chat-to" }), "chat.to"), this.to),
      this.announceField,
      tr(h("label", { for: "chat-text", class: "visually-hidden" }), "chat.message_label"),
      this.text,
      h("div", { class: "chat-form-foot" },
        h("span", { class: "chat-hints" }, this.counter,
          tr(h("span", { id: "chat-hint", class: "chat-hint" }), "chat.enter_hint")),
        this.sendButton),
      this.error);
    this.count();
    return this.form;
  }

  setInfo(info) {
    this.info = { ...this.info, ...info };
    if (this.info.canExport) {
      this.exportLink.href = `/api/sessions/${this.session.sessionId}/chat/export?format=csv`;
      this.exportLink.hidden = false;
    }
    this.render();
  }

  get examStudent() {
    const roster = this.session.roster;
    return EXAM_KINDS.has(roster.kind) && roster.self?.role === "student";
  }

  get isStudent() {
    return this.session.roster.self?.role === "student";
  }

  /** The panel was just opened: show the latest messages. */
  shown() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Opens a private message to someone (from the participants panel). */
  writeTo(participant) {
    this.refreshRecipients();
    this.to.value = participant.participant_id;
    this.syncComposer();
    this.text.focus();
  }

  onKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  }

  count() {
    tr(this.counter, "chat.counter",
      { used: String(this.text.value.length), max: String(MAX_CHAT_TEXT) });
    this.counter.classList.toggle("near", this.text.value.length > MAX_CHAT_TEXT - 100);
  }

  submit() {
    const text = this.text.value;
    if (!text.trim()) {
      tr(this.error, "chat.error_empty");
      return;
    }
    if (text.length > MAX_CHAT_TEXT) {
      tr(this.error, "chat.error_too_long", { max: MAX_CHAT_TEXT });
      return;
    }
    const to = this.to.value || null;
    const person = to ? this.session.roster.people.get(to) : null;
    this.chat.send(text, {
      to,
      toPerson: person?.person_id ?? (to ? Number(to.slice(1)) : null),
      announcement: !to && this.announce.checked && this.session.roster.moderator,
    });
    this.text.value = "";
    this.announce.checked = false;
    untr(this.error);
    this.count();
    this.scrollDown = true;
  }

  showError(detail) {
    tr(this.error, errorKey(detail), { message: detail.message ?? "" });
    if (detail.text && !this.text.value) {
      this.text.value = detail.text;
      this.count();
    }
  }

  /** Who the composer can write to, by role and kind. */
  recipients() {
    const roster = this.session.roster;
    const me = roster.self;
    const options = [];
    const everyone = !this.examStudent;
    if (everyone) options.push({ value: "", key: "chat.to_everyone",
      disabled: this.isStudent && !this.chat.studentsMayChat });
    // Private messages go between a student and a moderator (the tutor or a proctor).
    const people = roster.ordered().filter((p) => p.participant_id !== roster.me && !p.agent);
    let allowed = [];
    if (this.isStudent) allowed = people.filter((p) => p.grants.includes("moderate"));
    else if (roster.moderator) allowed = people.filter((p) => p.role === "student");
    for (const person of allowed) {
      options.push({ value: person.participant_id, name: person.name, role: person.role });
    }
    const tutorPid = this.info.tutorId ? `p${this.info.tutorId}` : null;
    if (this.isStudent && tutorPid && !roster.people.has(tutorPid)) {
      options.push({ value: tutorPid, name: this.info.tutorName ?? t("role.tutor"),
        role: "tutor" });
    }
    return me ? options : [];
  }

  refreshRecipients() {
    const previous = this.to.value;
    const options = this.recipients();
    const signature = JSON.stringify(options);
    if (signature === this.signature) {
      this.syncComposer();
      return;
    }
    this.signature = signature;
    clear(this.to).append(...options.map((option) => {
      const el = option.key ? tr(h("option", { value: option.value }), option.key)
        : tr(h("option", { value: option.value }), "chat.to_person",
          { name: option.name, role: t(`role.${option.role}`) });
      el.disabled = Boolean(option.disabled);
      return el;
    }));
    const still = options.find((o) => o.value === previous && !o.disabled);
    const first = options.find((o) => !o.disabled);
    this.to.value = still ? previous : first?.value ?? "";
    this.syncComposer();
  }

  syncComposer() {
    const moderator = this.session.roster.moderator;
    this.announceField.hidden = !moderator || this.to.value !== "";
    const canWrite = this.session.roster.self?.grants.includes("chat") && this.to.options.length;
    this.text.disabled = !canWrite;
    this.sendButton.disabled = !canWrite;
  }

  render() {
    const roster = this.session.roster;
    const moderator = roster.moderator;
    const exam = EXAM_KINDS.has(roster.kind);
    this.studentsField.hidden = !moderator || exam;
    this.studentsBox.checked = this.chat.studentsMayChat;
    if (this.examStudent) tr(this.state, "chat.state_exam");
    else if (!this.chat.studentsMayChat) {
      tr(this.state, this.isStudent ? "chat.state_off_student" : "chat.state_off");
    } else {
      untr(this.state);
    }
    this.refreshRecipients();

    const announcements = this.chat.announcements();
    this.pinned.hidden = announcements.length === 0;
    clear(this.pinnedList).append(...announcements.slice(-2).reverse().map((entry) =>
      h("li", { class: "chat-pinned-item", "data-testid": `chat-pinned-${entry.id}` },
        h("span", { class: "chat-name" }, entry.sender_name),
        h("span", { class: "chat-text" }, linkify(entry.text)))));

    const focused = this.list.contains(document.activeElement)
      ? document.activeElement.dataset.testid : null;
    const nearBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const items = [];
    for (const entry of this.chat.list()) {
      const item = this.item(entry, moderator);
      if (item) items.push(item);
    }
    for (const pending of this.chat.pending.values()) items.push(this.pendingItem(pending));
    clear(this.list).append(...items);
    this.empty.hidden = items.length > 0;
    this.list.hidden = items.length === 0;
    if (focused) this.list.querySelector(`[data-testid="${focused}"]`)?.focus();
    if (nearBottom || this.scrollDown) this.list.scrollTop = this.list.scrollHeight;
    this.scrollDown = false;
  }

  privacy(entry) {
    if (entry.recipient_id === null || entry.recipient_id === undefined) return null;
    const me = this.chat.me;
    if (entry.recipient_id === me) return tr(h("span", { class: "badge private" }), "chat.private_to_you");
    const name = this.session.roster.byPerson(entry.recipient_id)?.name
      ?? (entry.recipient_id === this.info.tutorId ? this.info.tutorName : null)
      ?? t("chat.someone");
    return tr(h("span", { class: "badge private" }), "chat.private_to", { name });
  }

  item(entry, moderator) {
    if (entry.kind === "deletion") return null;
    if (entry.kind === "setting") {
      return tr(h("li", { class: "chat-system", "data-testid": `chat-message-${entry.id}` }),
        entry.students_may_chat ? "chat.setting_on" : "chat.setting_off",
        { name: entry.sender_name });
    }
    const mine = entry.sender_id === this.chat.me;
    const classes = ["chat-item", entry.kind];
    if (mine) classes.push("mine");
    if (entry.recipient_id !== null && entry.recipient_id !== undefined) classes.push("private");
    if (entry.deleted) classes.push("deleted");
    const name = mine ? t("chat.you") : entry.sender_name;
    let remove = null;
    if (moderator && !entry.deleted && !entry.local) {
      remove = tr(h("button", { type: "button", class: "chat-delete",
        "data-testid": `chat-delete-${entry.id}`, onclick: () => this.chat.remove(entry.id) }),
      "chat.delete");
      trAttr(remove, { "aria-label": ["chat.delete_from", { name: entry.sender_name }] });
    }
    const meta = h("p", { class: "chat-meta" },
      h("span", { class: "chat-name" }, name),
      entry.sent_at ? h("time", { class: "chat-time", datetime: entry.sent_at },
        formatTime(entry.sent_at, this.info.zone)) : null,
      remove);
    const privacy = this.privacy(entry);
    const tags = entry.kind === "announcement" || privacy ? h("p", { class: "chat-tags" },
      entry.kind === "announcement" ? tr(h("span", { class: "badge announcement" }),
        "chat.announcement") : null, privacy) : null;
    const body = entry.deleted
      ? tr(h("p", { class: "chat-text chat-deleted", "data-testid": "chat-deleted" }),
        "chat.deleted")
      : h("p", { class: "chat-text", "data-testid": "chat-text" }, linkify(entry.text));
    return h("li", { class: classes.join(" "), "data-testid": `chat-message-${entry.id}`,
      "data-id": String(entry.id) }, meta, tags, body);
  }

  pendingItem(pending) {
    return h("li", { class: "chat-item mine pending", "data-testid": "chat-pending" },
      h("p", { class: "chat-meta" },
        tr(h("span", { class: "chat-name" }), "chat.you"),
        tr(h("span", { class: "chat-sending", "data-testid": "chat-sending" }), "chat.sending")),
      h("p", { class: "chat-text" }, linkify(pending.text)));
  }
}
