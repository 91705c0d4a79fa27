// The inbox (#/inbox, #/inbox/<conversation>): conversations with unread counts, one
// conversation's messages, files and read receipts, a composer (to a tutor, a group or a person,
// by role), search, and the outbox's queued messages. New messages arrive over the SSE stream
// (EventSource, resuming with Last-Event-ID) without a reload.

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { append, clear, h } from "../dom.js";
import { t, tr, untr } from "../i18n.js";
import { go } from "../router.js";
import { discard, enqueue, queuedItems, retry } from "../offline/outbox.js";
import { announce, field, fileLink, offlineNote, queuedState } from "../offline/ui.js";
import { formatDue } from "../offline/zone.js";

const RECONNECT_MS = 5_000;

class InboxView extends HTMLElement {
  connectedCallback() {
    this.person = currentPerson();
    this.zone = this.person.timezone || "Asia/Almaty";
    this.openId = Number(this.getAttribute("session-id")) || null;
    this.conversations = [];
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "inbox-status" });
    this.outbox = h("section", { class: "outbox", "aria-labelledby": "outbox-heading",
      "data-testid": "inbox-outbox", hidden: true });
    this.list = h("ul", { class: "conversation-list", role: "list",
      "data-testid": "conversation-list" });
    this.pane = h("div", { class: "inbox-pane", "data-testid": "inbox-pane" });
    this.note = h("div", {});
    const search = this.searchForm();
    this.append(h("section", { class: "page inbox-page", "aria-labelledby": "inbox-heading" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "inbox-heading", tabindex: "-1" }), "inbox.title"),
        tr(h("p", { class: "lead" }), `inbox.lead.${this.person.role}`)),
      this.note, this.status, this.outbox,
      h("div", { class: "inbox-layout" },
        h("div", { class: "inbox-side" },
          search,
          tr(h("button", { type: "button", class: "button primary wide",
            "data-testid": "inbox-new", onclick: () => go("#/inbox") }), "inbox.new"),
          h("section", { "aria-labelledby": "conversations-heading" },
            tr(h("h2", { id: "conversations-heading" }), "inbox.conversations"), this.list)),
        this.pane)));
    this.onOutbox = (event) => this.outboxChanged(event.detail ?? {});
    this.onNet = () => this.showNote();
    this.onLocale = () => this.renderList();
    window.addEventListener("sabaq:outbox", this.onOutbox);
    window.addEventListener("online", this.onNet);
    window.addEventListener("offline", this.onNet);
    window.addEventListener("sabaq:locale", this.onLocale);
    this.showNote();
    this.start();
  }

  disconnectedCallback() {
    window.removeEventListener("sabaq:outbox", this.onOutbox);
    window.removeEventListener("online", this.onNet);
    window.removeEventListener("offline", this.onNet);
    window.removeEventListener("sabaq:locale", this.onLocale);
    window.clearTimeout(this.reconnect);
    this.source?.close();
    this.closed = true;
  }

  showNote() {
    clear(this.note).append(offlineNote() ?? "");
    if (navigator.onLine && this.source?.readyState === EventSource.CLOSED) this.openStream();
  }

  async start() {
    tr(this.status, "inbox.loading");
    const [seq] = await Promise.all([
      api("/api/inbox/since?since=0&limit=1").then((d) => d.last_seq).catch(() => null),
      this.loadDirectory(),
      this.loadConversations(),
    ]);
    if (this.closed) return;
    this.lastSeq = seq;
    this.renderOutbox();
    if (this.openId) this.openConversation(this.openId);
    else this.showCompose();
    this.openStream();
  }

  async loadDirectory() {
    const [courses, groups] = await Promise.all([
      api("/api/courses").catch(() => ({ courses: [] })),
      api("/api/groups").catch(() => ({ groups: [] })),
    ]);
    this.courses = new Map(courses.courses.map((c) => [c.id, c]));
    this.groups = new Map(groups.groups.map((g) => [g.id, g]));
  }

  async loadConversations() {
    try {
      const data = await api("/api/inbox/conversations");
      this.conversations = data.conversations;
      untr(this.status);
    } catch {
      tr(this.status, "inbox.failed");
    }
    this.renderList();
    const total = this.conversations.reduce((sum, c) => sum + (c.unread || 0), 0);
    window.dispatchEvent(new CustomEvent("sabaq:unread", { detail: total }));
  }

  /** "Name" of the other member, or "Group" for group conversations, plus the course code. */
  title(conversation) {
    let who;
    if (conversation.kind === "group") {
      who = this.groups?.get(conversation.group_id)?.name ?? t("inbox.group");
    } else {
      const others = conversation.members.filter((m) => m.id !== this.person.id);
      who = others.map((m) => m.full_name).join(", ") || t("inbox.yourself");
    }
    const course = this.courses?.get(conversation.course_id);
    return course ? `${who} · ${course.code}` : who;
  }

  renderList() {
    if (!this.conversations.length) {
      clear(this.list).append(tr(h("li", { class: "empty" }), "inbox.no_conversations"));
      return;
    }
    append(clear(this.list), this.conversations.map((c) => {
      const label = this.title(c);
      const unread = c.unread > 0
        ? tr(h("span", { class: "unread-badge", "data-testid": `unread-${c.id}` }),
          "inbox.unread", { count: c.unread })
        : null;
      return h("li", { "data-testid": `conversation-${c.id}`, "data-unread": String(c.unread) },
        h("a", { href: `#/inbox/${c.id}`, class: "conversation-link",
          "aria-current": c.id === this.openId ? "page" : null },
        h("span", { class: "conversation-title" }, label),
        c.last_message_at
          ? h("span", { class: "conversation-time" }, formatDue(c.last_message_at, this.zone))
          : null,
        unread));
    }));
  }

  // --- one conversation -------------------------------------------------------------------

  async openConversation(id) {
    this.openId = id;
    this.renderList();
    clear(this.pane).append(tr(h("p", { class: "status-line" }), "inbox.loading"));
    try {
      const data = await api(`/api/inbox/conversations/${id}/messages?limit=100`);
      this.conversation = data.conversation;
      this.messages = data.messages.slice().reverse();
    } catch {
      clear(this.pane).append(tr(h("p", { class: "notice error", role: "alert" }),
        "inbox.conversation_failed"));
      return;
    }
    this.renderConversation();
    this.markRead();
  }

  renderConversation() {
    const c = this.conversation;
    this.thread = h("ol", { class: "message-list", "data-testid": "message-list",
      "aria-labelledby": "thread-heading" });
    for (const message of this.messages) this.thread.append(this.messageItem(message));
    this.queuedThread = h("ol", { class: "message-list queued-list",
      "data-testid": "queued-in-thread" });
    clear(this.pane).append(h("section", { class: "thread", "aria-labelledby": "thread-heading",
      "data-testid": `thread-${c.id}` },
    h("h2", { id: "thread-heading" }, this.title(c)),
    this.messages.length ? null : tr(h("p", { class: "empty" }), "inbox.no_messages"),
    this.thread, this.queuedThread,
    this.composer({ conversation_id: c.id }, "reply")));
    this.renderOutbox();
  }

  messageItem(message) {
    const mine = message.sender_id === this.person.id;
    const readers = (message.read_by ?? []).filter((r) => r.person_id !== message.sender_id);
    let receipt = null;
    if (mine) {
      const names = readers.map((r) => this.memberName(r.person_id));
      receipt = names.length
        ? tr(h("p", { class: "receipt", "data-testid": `receipt-${message.id}` }),
          "inbox.read_by", { names: names.join(", ") })
        : tr(h("p", { class: "receipt", "data-testid": `receipt-${message.id}` }),
          "inbox.delivered");
    }
    return h("li", { class: `message ${mine ? "mine" : "theirs"}`,
      "data-testid": `message-${message.id}`, "data-message-id": String(message.id) },
    h("p", { class: "message-head" },
      h("span", { class: "message-sender" }, mine ? t("inbox.you") : message.sender_name),
      " ",
      h("time", { datetime: message.sent_at }, formatDue(message.sent_at, this.zone))),
    message.text ? h("p", { class: "message-text" }, message.text) : null,
    message.files?.length
      ? h("ul", { class: "file-list", role: "list" },
        message.files.map((f) => h("li", {}, fileLink(f))))
      : null,
    receipt);
  }

  memberName(personId) {
    return this.conversation?.members.find((m) => m.id === personId)?.full_name ?? "";
  }

  async markRead() {
    const c = this.conversations.find((x) => x.id === this.openId);
    const last = this.messages?.at(-1);
    if (!last || !c?.unread || !navigator.onLine) return;
    await api(`/api/inbox/conversations/${this.openId}/read`,
      { method: "POST", body: { up_to: last.id } }).catch(() => null);
    c.unread = 0;
    this.renderList();
    const total = this.conversations.reduce((sum, x) => sum + (x.unread || 0), 0);
    window.dispatchEvent(new CustomEvent("sabaq:unread", { detail: total }));
  }

  // --- composing --------------------------------------------------------------------------

  recipients() {
    const found = new Map();
    const role = this.person.role;
    for (const s of this.sessions ?? []) {
      if (role === "student" && s.tutor_id) {
        const course = this.courses.get(s.course_id);
        const label = `${s.tutor_name ?? t("role.tutor")} · ${course?.code ?? s.course_code ?? ""}`;
        found.set(`person:${s.tutor_id}:${s.course_id}`, label);
      } else if (role === "tutor" && s.tutor_id === this.person.id) {
        const group = this.groups.get(s.group_id)?.name ?? s.group_name ?? "";
        const course = this.courses.get(s.course_id)?.code ?? s.course_code ?? "";
        found.set(`group:${s.group_id}:${s.course_id}`, t("inbox.to_group", { group, course }));
      }
    }
    for (const p of this.people ?? []) {
      if (p.id !== this.person.id) found.set(`person:${p.id}:`, p.full_name);
    }
    return found;
  }

  async showCompose() {
    this.openId = null;
    this.conversation = null;
    this.renderList();
    if (!this.sessions) {
      const [schedule, people] = await Promise.all([
        api("/api/schedule?range=week").catch(() => ({ sessions: [] })),
        ["staff", "admin"].includes(this.person.role)
          ? api("/api/people?limit=200").catch(() => ({ people: [] }))
          : Promise.resolve({ people: [] }),
      ]);
      this.sessions = schedule.sessions ?? [];
      this.people = people.people ?? [];
    }
    const select = h("select", { "data-testid": "compose-to", required: true });
    for (const [value, label] of this.recipients()) {
      select.append(h("option", { value }, label));
    }
    clear(this.pane).append(h("section", { class: "compose", "aria-labelledby": "compose-heading" },
      tr(h("h2", { id: "compose-heading" }), "inbox.compose"),
      select.options.length ? field("compose-to", "inbox.to", select)
        : tr(h("p", { class: "empty" }), "inbox.no_recipients"),
      select.options.length ? this.composer(null, "compose", select) : null));
    this.renderOutbox();
  }

  /** Text + files + send; ``target`` is the body's addressing, or read from ``select``. */
  composer(target, name, select = null) {
    const text = h("textarea", { rows: 4, maxlength: 10000, "data-testid": `${name}-text` });
    const files = h("input", { type: "file", multiple: true, "data-testid": `${name}-files` });
    const error = h("p", { class: "form-error", role: "alert", "data-testid": `${name}-error` });
    const form = h("form", { class: "composer", "data-testid": `${name}-form`, novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        const chosen = [...files.files];
        if (!text.value.trim() && !chosen.length) {
          tr(error, "inbox.empty_message");
          return;
        }
        let body = { ...target };
        if (select) {
          const [kind, id, course] = select.value.split(":");
          body = kind === "group" ? { to_group_id: Number(id) } : { to_person_id: Number(id) };
          if (course) body.course_id = Number(course);
        }
        body.text = text.value;
        const label = select ? select.selectedOptions[0].textContent
          : this.title(this.conversation);
        await enqueue({ kind: "message", body, files: chosen, label });
        announce(t(navigator.onLine ? "inbox.sending" : "outbox.queued_announce"));
        text.value = "";
        files.value = "";
      } },
    field(`${name}-text`, name === "reply" ? "inbox.reply" : "inbox.message", text),
    field(`${name}-files`, "inbox.attach", files, "inbox.attach_hint"),
    error,
    tr(h("button", { type: "submit", class: "button primary", "data-testid": `${name}-send` }),
      "inbox.send"));
    return form;
  }

  // --- the outbox's queued messages -----------------------------------------------------------

  async renderOutbox() {
    const items = await queuedItems((item) => item.kind === "message");
    if (this.closed) return;
    this.outbox.hidden = items.length === 0;
    clear(this.outbox).append(
      tr(h("h2", { id: "outbox-heading" }), "outbox.title"),
      tr(h("p", { class: "hint" }), "outbox.explain"),
      h("ul", { class: "queued-items", role: "list", "data-testid": "outbox-list" },
        items.map((item) => this.queuedItem(item))));
    if (this.queuedThread) {
      const here = items.filter((i) => i.body.conversation_id === this.conversation?.id);
      append(clear(this.queuedThread), here.map((item) => h("li", { class: "message mine queued" },
        h("p", { class: "message-text" }, item.body.text), queuedState(item))));
    }
  }

  queuedItem(item) {
    const actions = item.state === "failed" ? [
      tr(h("button", { type: "button", class: "button small", onclick: () => retry(item.key) }),
        "outbox.retry"),
      tr(h("button", { type: "button", class: "button small", onclick: () => discard(item.key) }),
        "outbox.discard"),
    ] : [];
    return h("li", { class: "queued-item", "data-testid": "queued-message",
      "data-state": item.state, "data-key": item.key },
    tr(h("p", { class: "queued-what" }), "inbox.to_label", { to: item.label }),
    item.body.text ? h("p", { class: "message-text" }, item.body.text) : null,
    item.files.length ? h("p", { class: "hint" }, item.files.map((f) => f.name).join(", ")) : null,
    queuedState(item, { "data-testid": "queued-state" }), ...actions);
  }

  async outboxChanged(detail) {
    if (detail.progress) return;
    this.renderOutbox();
    if (detail.sent?.kind === "message") {
      announce(t("inbox.sent", { to: detail.sent.label }));
      await this.loadConversations();
      if (this.conversation?.id === detail.result?.conversation_id) this.addMessage(detail.result);
    }
  }

  // --- search -----------------------------------------------------------------------------

  searchForm() {
    const input = h("input", { type: "search", maxlength: 200, "data-testid": "inbox-search" });
    return h("form", { class: "inbox-search", role: "search", "data-testid": "inbox-search-form",
      onsubmit: (event) => {
        event.preventDefault();
        if (input.value.trim()) this.search(input.value.trim());
      } },
    field("inbox-search-input", "inbox.search", input),
    tr(h("button", { type: "submit", class: "button secondary small" }), "inbox.search_go"));
  }

  async search(q) {
    this.openId = null;
    this.renderList();
    const results = h("ul", { class: "search-results", role: "list",
      "data-testid": "search-results" });
    clear(this.pane).append(h("section", { "aria-labelledby": "search-heading" },
      tr(h("h2", { id: "search-heading" }), "inbox.search_results", { q }), results));
    try {
      const data = await api(`/api/inbox/search?q=${encodeURIComponent(q)}&limit=50`);
      if (!data.messages.length) results.append(tr(h("li", { class: "empty" }), "inbox.no_results"));
      for (const m of data.messages) {
        results.append(h("li", { class: "search-hit" },
          h("a", { href: `#/inbox/${m.conversation_id}` }, m.sender_name), " ",
          h("time", { datetime: m.sent_at }, formatDue(m.sent_at, this.zone)),
          h("p", { class: "message-text" }, m.text)));
      }
      announce(t("inbox.found", { count: data.messages.length }));
    } catch {
      results.append(tr(h("li", { class: "notice error" }), "inbox.failed"));
    }
  }

  // --- the live stream --------------------------------------------------------------------

  openStream() {
    if (this.closed || !window.EventSource) return;
    this.source?.close();
    const since = this.lastSeq ?? 0;
    this.catchingUp = this.lastSeq === null || this.lastSeq === undefined;
    const source = new EventSource(`/api/inbox/events?since=${since}`);
    this.source = source;
    source.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      this.lastSeq = data.seq;
      if (!this.catchingUp) this.received(data.message);
    });
    source.addEventListener("ready", (event) => {
      const data = JSON.parse(event.data);
      this.lastSeq = Math.max(this.lastSeq ?? 0, data.last_seq);
      if (this.catchingUp) this.loadConversations();
      this.catchingUp = false;
      this.dataset.live = "true";
    });
    source.addEventListener("read", (event) => {
      const data = JSON.parse(event.data);
      if (data.conversation_id === this.conversation?.id && data.person_id !== this.person.id) {
        this.openConversation(this.conversation.id);
      }
    });
    source.onerror = () => {
      this.dataset.live = "false";
      if (source.readyState === EventSource.CLOSED) {
        // A refused resume (e.g. 422 after the stream was reset): start again from now.
        window.clearTimeout(this.reconnect);
        this.reconnect = window.setTimeout(() => {
          api("/api/inbox/since?since=0&limit=1")
            .then((d) => { this.lastSeq = d.last_seq; })
            .catch(() => null)
            .finally(() => this.openStream());
        }, RECONNECT_MS);
      }
    };
  }

  async received(message) {
    if (message.sender_id !== this.person.id) {
      announce(t("inbox.new_message", { name: message.sender_name }));
    }
    if (this.conversation?.id === message.conversation_id) this.addMessage(message);
    await this.loadConversations();
    if (this.conversation?.id === message.conversation_id) this.markRead();
  }

  addMessage(message) {
    if (!message || !this.thread) return;
    if (this.thread.querySelector(`[data-message-id="${message.id}"]`)) return;
    this.messages.push(message);
    this.thread.append(this.messageItem(message));
    this.pane.querySelector(".thread > p.empty")?.remove();
  }
}

customElements.define("sabaq-inbox", InboxView);
