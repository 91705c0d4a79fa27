// The identity queue (#/proctor): every student awaiting an identity decision in the exams
// this proctor oversees, oldest first, refreshed every few seconds.

import { h } from "../dom.js";
import { t, tr, untr } from "../i18n.js";
import { identityCard, loadQueue } from "../proctoring/identity.js";

const REFRESH_MS = 4000;

class ProctorQueue extends HTMLElement {
  connectedCallback() {
    this.list = h("div", { class: "id-list", "data-testid": "queue-list" });
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "queue-status" });
    this.append(h("section", { class: "page proctor-page", "aria-labelledby": "queue-heading" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "queue-heading", tabindex: "-1" }), "proctoring.queue_title"),
        tr(h("p", { class: "lead" }), "proctoring.queue_lead")),
      this.status, this.list));
    this.shown = null;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  disconnectedCallback() {
    clearInterval(this.timer);
  }

  async refresh() {
    let items;
    try {
      items = await loadQueue();
    } catch (error) {
      tr(this.status, "proctoring.load_failed_reason", { reason: error.message || t("error.network") });
      return;
    }
    // Rebuild only when the queue changed, so a reason being typed is not lost.
    const key = items.map((item) => `${item.session_id}/${item.student_id}/${item.submitted_at}`)
      .join(",");
    if (key === this.shown) return;
    this.shown = key;
    if (items.length) tr(this.status, "proctoring.queue_count", { count: items.length });
    else {
      untr(this.status);
    }
    this.list.replaceChildren(...items.map((item) => h("div", { class: "id-entry" },
      identityCard(item, () => this.decided(item)),
      h("a", { href: `#/proctor/${item.session_id}`, class: "hint" },
        tr(h("span", {}), "proctoring.open_grid")))));
    if (!items.length) this.list.append(tr(h("p", { class: "empty", "data-testid": "queue-empty" }),
      "proctoring.queue_empty"));
  }

  decided(item) {
    tr(this.status, "proctoring.decided", { name: item.student_name });
    this.shown = null;
    this.refresh();
  }
}

customElements.define("sabaq-proctor-queue", ProctorQueue);
