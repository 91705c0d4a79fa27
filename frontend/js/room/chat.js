// The room chat as this client holds it: every entry it was given, once, by id, plus the
// messages it sent that the server has not acknowledged yet ("pending").
//
// Exactly once: the join message carries chat_since (the last id seen, 0 at first), so the
// server replays what was missed as one chat_history (which replaces what is held after
// "since"); a pending message is resent with the same nonce after a reconnect and the server
// answers a duplicate with the stored entry. Emits "change", "incoming" (a live message from
// someone else; detail: entry) and "failed" (detail: {code, message, kind}).

export const MAX_CHAT_TEXT = 2000;

let serial = 0;

function newNonce() {
  serial += 1;
  const random = Math.random().toString(36).slice(2, 10);
  return `${Date.now().toString(36)}-${serial}-${random}`;
}

export class ChatStore extends EventTarget {
  constructor(signal, myPersonId) {
    super();
    this.signal = signal;
    this.me = myPersonId;
    this.entries = new Map(); // id -> entry (messages, announcements, deletions, settings)
    this.pending = new Map(); // nonce -> {nonce, text, to, toPerson, announcement, sentAt}
    this.actions = new Map(); // ref -> "delete" | "setting" (moderator actions in flight)
    this.lastId = 0;
  }

  /** Fields for the join message: history from the last id this client has. */
  joinFields() {
    return { chat_since: this.lastId };
  }

  /** The server refused the join: start again from nothing (the cursor may be stale). */
  reset() {
    this.entries.clear();
    this.lastId = 0;
    this.changed();
  }

  get studentsMayChat() {
    let latest = true;
    for (const entry of this.entries.values()) {
      if (entry.kind === "setting" && entry.students_may_chat !== null) {
        latest = entry.students_may_chat !== false;
      }
    }
    return latest;
  }

  /** Messages and announcements, in order, deletion and setting lines included. */
  list() {
    return [...this.entries.values()].sort((a, b) => a.id - b.id);
  }

  announcements() {
    return this.list().filter((entry) => entry.kind === "announcement" && !entry.deleted);
  }

  onMessage(message) {
    switch (message.type) {
      case "chat_history":
        this.history(message.since, message.messages);
        break;
      case "chat":
        if (this.apply(message.message) && this.isIncoming(message.message)) {
          this.dispatchEvent(new CustomEvent("incoming", { detail: message.message }));
        }
        this.changed();
        break;
      case "chat_ack":
        this.acknowledged(message);
        break;
      case "error":
        return this.refused(message);
      default:
        return false;
    }
    return true;
  }

  isIncoming(entry) {
    return (entry.kind === "message" || entry.kind === "announcement")
      && entry.sender_id !== this.me;
  }

  history(since, messages) {
    for (const id of [...this.entries.keys()]) {
      if (id > since) this.entries.delete(id);
    }
    this.lastId = Math.min(this.lastId, since);
    for (const entry of messages) this.apply(entry);
    this.changed();
  }

  /** Adds one entry; returns whether it was new. */
  apply(entry) {
    const known = this.entries.has(entry.id) && !this.entries.get(entry.id).local;
    this.entries.set(entry.id, { ...entry });
    this.lastId = Math.max(this.lastId, entry.id);
    if (entry.sender_id === this.me) this.pending.delete(entry.nonce);
    if (entry.kind === "deletion" && entry.target_id !== null) {
      const target = this.entries.get(entry.target_id);
      if (target) {
        target.deleted = true;
        target.text = "";
      }
    }
    return !known;
  }

  acknowledged({ nonce, id }) {
    this.actions.delete(nonce);
    const pending = this.pending.get(nonce);
    if (!pending) return;
    this.pending.delete(nonce);
    if (!this.entries.has(id)) {
      // The entry itself is on its way; show it as sent meanwhile.
      this.entries.set(id, {
        id, kind: pending.announcement ? "announcement" : "message", sender_id: this.me,
        sender_name: "", recipient_id: pending.toPerson, text: pending.text, deleted: false,
        target_id: null, students_may_chat: null, nonce, sent_at: pending.sentAt, local: true,
      });
    }
    this.changed();
  }

  refused(error) {
    const ref = error.ref ?? "";
    if (!ref.startsWith("chat:")) return false;
    const nonce = ref.slice(5);
    const pending = this.pending.get(nonce);
    const action = this.actions.get(nonce);
    this.pending.delete(nonce);
    this.actions.delete(nonce);
    this.changed();
    this.dispatchEvent(new CustomEvent("failed", { detail: {
      code: error.code, message: error.message, kind: action ?? "message",
      text: pending?.text ?? "",
    } }));
    return true;
  }

  /** Sends a message (to: a participant id, or null for everyone). */
  send(text, { to = null, toPerson = null, announcement = false } = {}) {
    const nonce = newNonce();
    const pending = {
      nonce, text, to, toPerson, announcement, sentAt: new Date().toISOString(),
    };
    this.pending.set(nonce, pending);
    this.transmit(pending);
    this.changed();
    return nonce;
  }

  transmit(pending) {
    const message = { type: "chat", text: pending.text, nonce: pending.nonce,
      ref: `chat:${pending.nonce}` };
    if (pending.to) message.to = pending.to;
    if (pending.announcement) message.announcement = true;
    this.signal.send(message);
  }

  /** After a (re)join: everything not acknowledged goes again, with the same nonce. */
  resendPending() {
    for (const pending of this.pending.values()) this.transmit(pending);
  }

  remove(id) {
    const nonce = newNonce();
    this.actions.set(nonce, "delete");
    this.signal.send({ type: "chat_delete", id, nonce, ref: `chat:${nonce}` });
  }

  allowStudents(enabled) {
    const nonce = newNonce();
    this.actions.set(nonce, "setting");
    this.signal.send({ type: "chat_students", enabled, nonce, ref: `chat:${nonce}` });
  }

  changed() {
    this.dispatchEvent(new CustomEvent("change"));
  }
}
