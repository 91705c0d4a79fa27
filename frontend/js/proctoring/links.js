// Links into the proctoring pages, for the schedule's session cards and the navigation.

import { h } from "../dom.js";
import { tr } from "../i18n.js";
import { canJoinNow } from "../sessions.js";

export const EXAM_KINDS = new Set(["midterm", "exam"]);
const OVERSEERS = new Set(["proctor", "staff", "admin"]);

/** An exam student checks in (#/exam/{id}) instead of going through the lobby. */
export function examEntry(session, person) {
  if (!EXAM_KINDS.has(session.kind) || person?.role !== "student") return null;
  return `#/exam/${session.id}`;
}

/** The overseers' link to an online exam's grid (live) and reviews (after). */
export function proctoringLink(session, person, titleId) {
  if (!EXAM_KINDS.has(session.kind) || session.mode !== "online" || !person) return null;
  const oversees = OVERSEERS.has(person.role) || session.tutor_id === person.id;
  if (!oversees || !(canJoinNow(session) || session.status === "ended")) return null;
  return tr(h("a", { href: `#/proctor/${session.id}`, class: "proctoring-link",
    "data-testid": `proctoring-link-${session.id}`, "aria-describedby": titleId }),
  "proctoring.link");
}

/** Whether the navigation shows the identity queue. */
export function seesQueue(person) {
  return OVERSEERS.has(person?.role);
}
