// One student's identity check as a card: both photos, the media checks, approve, or reject
// with a required reason. Used by the queue page and by each exam's grid.

import { h } from "../dom.js";
import { formatTime, t, tr, trAttr } from "../i18n.js";
import { post } from "./api.js";
import { api } from "../api.js";

function photo(url, kind, name) {
  const img = h("img", { class: "id-photo", src: url ? `${url}?v=${Date.now()}` : null,
    "data-testid": `id-photo-${kind}`, loading: "lazy" });
  trAttr(img, { alt: [`proctoring.photo_${kind}_of`, { name }] });
  return h("figure", { class: "id-figure" }, url ? img : tr(h("p", { class: "empty" }),
    "proctoring.photo_missing"), tr(h("figcaption", {}), `proctoring.photo_${kind}`));
}

function checks(item) {
  const report = item.media_checks;
  if (!report) return null;
  return h("ul", { class: "id-checks", role: "list" },
    ["camera", "microphone", "screen"].map((label) => h("li", { "data-ok": String(report[label]) },
      tr(h("span", {}), `proctoring.source_${label}`), ": ",
      tr(h("span", {}), report[label] ? "proctoring.check_ok" : "proctoring.check_missing"))),
    h("li", {}, tr(h("span", {}), "proctoring.surface"), `: ${report.displaySurface}`));
}

/** item: a check-in (queue entry or roster row); onDone(checkin) after a decision. */
export function identityCard(item, onDone, zone) {
  const sid = item.session_id;
  const who = item.student_id;
  const prefix = `id-${sid}-${who}`;
  const reason = h("textarea", { id: `${prefix}-reason`, rows: 2, maxlength: 500,
    "data-testid": `reject-reason-${who}`, "aria-describedby": `${prefix}-error` });
  const error = h("p", { id: `${prefix}-error`, class: "form-error", role: "alert",
    "data-testid": `identity-error-${who}` });
  const act = async (action, body) => {
    error.textContent = "";
    for (const button of card.querySelectorAll("button")) button.disabled = true;
    try {
      onDone(await post(sid, `students/${who}/${action}`, body));
    } catch (failure) {
      tr(error, "proctoring.action_failed", { reason: failure.message || t("error.network") });
      for (const button of card.querySelectorAll("button")) button.disabled = false;
    }
  };
  const approve = tr(h("button", { type: "button", class: "button accent",
    "data-testid": `approve-${who}`, onclick: () => act("approve") }), "proctoring.approve");
  const reject = tr(h("button", { type: "submit", class: "button danger",
    "data-testid": `reject-${who}` }), "proctoring.reject");
  const form = h("form", { class: "reject-form", novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (!text) {
      tr(error, "proctoring.reason_required");
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    act("reject", { reason: text });
  } },
  h("div", { class: "field" },
    tr(h("label", { for: `${prefix}-reason` }), "proctoring.reject_reason"), reason),
  reject);
  const headingId = `${prefix}-name`;
  const card = h("article", { class: "card id-card", "aria-labelledby": headingId,
    "data-testid": `identity-${who}` },
  h("header", { class: "id-head" },
    h("h3", { id: headingId }, item.student_name),
    item.title ? h("p", { class: "hint" }, item.title) : null,
    item.submitted_at ? tr(h("p", { class: "hint" }), "proctoring.submitted_at",
      { time: formatTime(item.submitted_at, zone) }) : null),
  h("div", { class: "id-photos" }, photo(item.face_photo_url, "face", item.student_name),
    photo(item.document_photo_url, "document", item.student_name)),
  checks(item),
  h("div", { class: "id-actions" }, approve, form),
  error);
  return card;
}

/** The sessions' time zones are the schedule's; the queue shows times in the viewer's. */
export async function loadQueue() {
  return (await api("/api/proctoring/queue")).students;
}
