// Small pieces the inbox and assignments pages share: the live-region announcer, labelled
// fields, file links and the queued-item line.

import { h } from "../dom.js";
import { t, tr } from "../i18n.js";
import { formatBytes } from "./zone.js";

export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** A label + control pair; ``hintKey`` adds a described-by hint. */
export function field(id, labelKey, control, hintKey, hintArgs) {
  control.id = id;
  const hint = hintKey ? tr(h("span", { class: "hint", id: `${id}-hint` }), hintKey, hintArgs)
    : null;
  if (hint) control.setAttribute("aria-describedby", hint.id);
  return h("div", { class: "field" }, tr(h("label", { for: id }), labelKey), control, hint);
}

export function fileLink(file) {
  return h("a", { href: file.url ?? `/api/uploads/${file.id ?? file.upload_id}/content`,
    class: "file-link", download: "" },
  h("span", { class: "file-name" }, file.name),
  h("span", { class: "file-size" }, ` (${formatBytes(file.size, t)})`));
}

/** "queued" / "sending" / "failed" line of an outbox item. */
export function queuedState(item, extra = {}) {
  const key = item.state === "failed" ? "outbox.failed"
    : item.state === "sending" ? "outbox.sending" : "outbox.queued";
  return tr(h("span", { class: `queue-state state-${item.state}`, ...extra }), key,
    { reason: item.error || "" });
}

/** The note shown while off-line, or nothing. */
export function offlineNote() {
  return navigator.onLine ? null
    : tr(h("p", { class: "notice offline-note", "data-testid": "offline-note" }),
      "offline.note");
}
