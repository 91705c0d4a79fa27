// The outbox: a message or a submission made without a connection is kept in IndexedDB (files
// as Blobs) and sent when the connection returns — on the "online" event, on app start, and on a
// retry timer with exponential backoff. Each item carries the Idempotency-Key made when it was
// queued, so a resend after a lost answer is recognised by the server; an item is deleted only
// after the server's 2xx. A Web Lock keeps two tabs from sending the same item at once.

import { currentPerson } from "../auth.js";
import { allItems, deleteItem, getItem, putItem } from "./idb.js";
import { request, tusUpload } from "./net.js";

const FIRST_DELAY_MS = 2_000;
const MAX_DELAY_MS = 60_000;
let delay = FIRST_DELAY_MS;
let timer = null;
let flushing = null;

function changed(detail = {}) {
  window.dispatchEvent(new CustomEvent("sabaq:outbox", { detail }));
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Queues ``{kind: "message"|"submission", body, files, assignmentId?, label}`` and tries to send
 * it at once when on-line. ``files`` are File/Blob objects (kept in IndexedDB until sent).
 */
export async function enqueue({ kind, body, files = [], assignmentId = null, label = "" }) {
  const item = {
    key: newKey(),
    kind,
    person_id: currentPerson().id,
    assignment_id: assignmentId,
    body,
    label,
    files: files.map((file) => ({ name: file.name, size: file.size, blob: file, tus: {} })),
    state: "queued",
    attempts: 0,
    error: "",
    created_at: new Date().toISOString(),
  };
  await putItem(item);
  changed({ queued: item });
  flush();
  return item;
}

/** The signed-in person's queued items, oldest first. */
export async function queuedItems(filter = () => true) {
  const person = currentPerson();
  if (!person) return [];
  return (await allItems())
    .filter((item) => item.person_id === person.id && filter(item))
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

export async function discard(key) {
  await deleteItem(key);
  changed({ discarded: key });
}

export async function retry(key) {
  const item = await getItem(key);
  if (!item) return;
  item.state = "queued";
  item.error = "";
  await putItem(item);
  delay = FIRST_DELAY_MS;
  changed();
  flush();
}

export function flush() {
  if (!flushing) {
    const work = () => sendAll();
    flushing = (navigator.locks ? navigator.locks.request("sabaq-outbox", work) : work())
      .catch(() => schedule())
      .finally(() => { flushing = null; });
  }
  return flushing;
}

function schedule() {
  window.clearTimeout(timer);
  timer = window.setTimeout(flush, delay + Math.random() * 500);
  delay = Math.min(delay * 2, MAX_DELAY_MS);
}

async function sendAll() {
  const person = currentPerson();
  if (!person || !navigator.onLine) return;
  const items = await queuedItems((item) => item.state !== "failed");
  for (const item of items) {
    try {
      const result = await sendOne(item);
      await deleteItem(item.key);
      changed({ sent: item, result });
    } catch (error) {
      item.attempts += 1;
      item.error = error.message || String(error);
      item.state = error.permanent ? "failed" : "queued";
      await putItem(item);
      changed({ failed: item });
      if (!error.permanent) {
        schedule();
        return;
      }
    }
  }
  delay = FIRST_DELAY_MS;
}

async function sendOne(item) {
  item.state = "sending";
  await putItem(item);
  changed({ sending: item });
  const ids = [];
  for (const file of item.files) {
    if (!file.upload_id) {
      file.upload_id = await tusUpload(file.blob, file.name, {
        assignmentId: item.assignment_id,
        state: file.tus,
        save: () => putItem(item),
        progress: (sent, total) => changed({ progress: { key: item.key, sent, total } }),
      });
      await putItem(item);
    }
    ids.push(file.upload_id);
  }
  const body = { ...item.body };
  const uploadIds = [...(body.upload_ids ?? []), ...ids];
  if (uploadIds.length) body.upload_ids = uploadIds;
  else delete body.upload_ids;
  const path = item.kind === "message"
    ? "/api/inbox/messages"
    : `/api/assignments/${item.assignment_id}/submit`;
  const response = await request(path, {
    method: "POST", json: body, headers: { "Idempotency-Key": item.key },
  });
  return response.json();
}

let started = false;

/** Called once at app start: send what is waiting, and again whenever the connection returns. */
export function startOutbox() {
  if (started) return;
  started = true;
  window.addEventListener("online", () => {
    delay = FIRST_DELAY_MS;
    flush();
    changed();
  });
  window.addEventListener("offline", () => changed());
  window.addEventListener("sabaq:auth", (event) => {
    if (event.detail) flush();
  });
  flush();
}
