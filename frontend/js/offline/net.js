// Requests the outbox makes: the CSRF header, an optional Idempotency-Key, raw bodies and the
// tus 1.0 resumable upload (create, HEAD to learn the offset, PATCH in chunks).

import { csrf } from "../api.js";

export class SendError extends Error {
  /** status 0 is "no connection"; ``permanent`` errors are not retried. */
  constructor(status, message) {
    super(message);
    this.status = status;
    this.permanent = status >= 400 && status < 500 && ![408, 425, 429].includes(status)
      && status !== 401;
  }
}

export async function request(path, { method = "GET", headers = {}, body, json } = {}) {
  const all = { Accept: "application/json", ...headers };
  if (method !== "GET" && method !== "HEAD" && csrf()) all["X-CSRF-Token"] = csrf();
  if (json !== undefined) {
    all["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(path, { method, headers: all, body, credentials: "same-origin" });
  } catch (error) {
    throw new SendError(0, String(error));
  }
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    throw new SendError(response.status, data?.error?.message ?? response.statusText);
  }
  return response;
}

function base64(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const TUS = { "Tus-Resumable": "1.0.0" };
const CHUNK = 1024 * 1024;

/**
 * Uploads one Blob with tus and returns the upload id. ``state`` ({location}) is kept by the
 * caller between attempts so an interrupted upload resumes from the server's offset;
 * ``save(state)`` is called whenever it changes, ``progress(sent, total)`` after each chunk.
 */
export async function tusUpload(blob, name, { assignmentId, state, save, progress }) {
  let offset = 0;
  if (state.location) {
    try {
      const head = await request(state.location, { method: "HEAD", headers: TUS });
      offset = Number(head.headers.get("Upload-Offset"));
    } catch (error) {
      if (error.status !== 404) throw error;
      state.location = null;
    }
  }
  if (!state.location) {
    const metadata = [`filename ${base64(name)}`];
    if (assignmentId) metadata.push(`assignment_id ${base64(String(assignmentId))}`);
    const created = await request("/api/tus", {
      method: "POST",
      headers: { ...TUS, "Upload-Length": String(blob.size), "Upload-Metadata": metadata.join(",") },
    });
    state.location = new URL(created.headers.get("Location"), window.location.href).pathname;
    state.uploadId = Number(created.headers.get("Upload-Id")) || Number(state.location.split("/").pop());
    offset = 0;
    await save(state);
  }
  while (offset < blob.size) {
    const chunk = blob.slice(offset, offset + CHUNK);
    try {
      const answer = await request(state.location, {
        method: "PATCH",
        headers: { ...TUS, "Content-Type": "application/offset+octet-stream",
          "Upload-Offset": String(offset) },
        body: chunk,
      });
      offset = Number(answer.headers.get("Upload-Offset"));
    } catch (error) {
      if (error.status !== 409) throw error;
      // Another attempt moved the offset: ask the server where to go on from.
      const head = await request(state.location, { method: "HEAD", headers: TUS });
      offset = Number(head.headers.get("Upload-Offset"));
    }
    progress?.(offset, blob.size);
  }
  return state.uploadId;
}

/** One-request upload (the raw body is the file), for small files sent while on-line. */
export async function rawUpload(blob, name, assignmentId) {
  const query = assignmentId ? `?assignment_id=${assignmentId}` : "";
  const response = await request(`/api/uploads${query}`, {
    method: "POST", body: blob, headers: { "X-File-Name": encodeURIComponent(name) },
  });
  return response.json();
}
