// Links to the recordings pages, for the schedule's session cards.

import { h } from "../dom.js";
import { tr } from "../i18n.js";

const VIEWERS = new Set(["admin", "staff", "tutor", "student"]);

/** An ended online session's "Recordings" link (proctors do not see recordings). */
export function recordingsLink(session, person, titleId) {
  if (!VIEWERS.has(person?.role) || session.mode !== "online") return null;
  if (session.status !== "ended") return null;
  return tr(h("a", { href: `#/recordings/session/${session.id}`, class: "recordings-link",
    "data-testid": `recordings-link-${session.id}`, "aria-describedby": titleId }),
  "recordings.link");
}
