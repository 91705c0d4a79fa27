// The proctoring API (docs/proctoring.md): paths, binary image uploads and the states.

import { api } from "../api.js";

export const BROWSER_FLAGS = ["tab_hidden", "window_blur", "fullscreen_exit",
  "screen_share_stopped", "screen_share_not_monitor", "camera_lost", "microphone_lost",
  "second_display", "copy_paste", "connection_dropped"];
/** States in which the student's exam runs (tracks flow, flags are taken). */
export const RUNNING = new Set(["in_exam", "paused"]);
export const FINISHED = new Set(["handed_in", "ended_by_proctor"]);
export const VERDICTS = ["no_concerns", "concerns", "violation"];

export function base(sessionId) {
  return `/api/sessions/${sessionId}/proctoring`;
}

export function mine(sessionId) {
  return api(`${base(sessionId)}/me`);
}

export function post(sessionId, path, body) {
  return api(`${base(sessionId)}/${path}`, { method: "POST", body });
}

export function studentPath(sessionId, studentId, rest = "") {
  return `${base(sessionId)}/students/${studentId}${rest ? `/${rest}` : ""}`;
}

/** Sends an image blob as the raw body (PUT photos, POST frames). */
export async function sendImage(path, blob, method = "PUT") {
  return api(path, { method, body: blob, type: blob.type || "image/jpeg" });
}

/** "m:ss" since a start time, for the proctor's clock of each student. */
export function since(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}
