// The header's navigation for a signed-in person: schedule, inbox (with the unread count) and
// assignments, plus the connection state and how many items wait in the outbox.

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { tr, trAttr, untr } from "../i18n.js";
import { queuedItems } from "../offline/outbox.js";
import { currentPerson } from "../auth.js";
import { seesQueue } from "../proctoring/links.js";

class AppNav extends HTMLElement {
  connectedCallback() {
    this.unread = h("span", { class: "nav-count", "data-testid": "nav-unread" });
    this.state = h("span", { class: "net-state", "data-testid": "net-state" });
    this.queued = h("a", { class: "nav-queued", href: "#/inbox", "data-testid": "nav-queued" });
    const link = (href, key, testid, ...extra) => h("li", {},
      h("a", { href, "data-testid": testid }, tr(h("span", {}), key), ...extra));
    const nav = h("nav", { class: "app-nav", "data-testid": "app-nav" },
      h("ul", { role: "list" },
        link("#/", "nav.schedule", "nav-schedule"),
        link("#/inbox", "nav.inbox", "nav-inbox", this.unread),
        link("#/assignments", "nav.assignments", "nav-assignments"),
        seesQueue(currentPerson()) ? link("#/proctor", "proctoring.nav", "nav-proctoring") : null),
      this.state, this.queued);
    clear(this).append(trAttr(nav, { "aria-label": ["nav.label"] }));
    this.onChange = () => this.refresh();
    this.onUnread = (event) => this.showUnread(event.detail);
    this.onHash = () => this.markCurrent();
    for (const name of ["sabaq:outbox", "online", "offline", "sabaq:locale"]) {
      window.addEventListener(name, this.onChange);
    }
    window.addEventListener("sabaq:unread", this.onUnread);
    window.addEventListener("hashchange", this.onHash);
    this.markCurrent();
    this.refresh();
    api("/api/inbox/unread").then((data) => this.showUnread(data.total)).catch(() => null);
  }

  disconnectedCallback() {
    for (const name of ["sabaq:outbox", "online", "offline", "sabaq:locale"]) {
      window.removeEventListener(name, this.onChange);
    }
    window.removeEventListener("sabaq:unread", this.onUnread);
    window.removeEventListener("hashchange", this.onHash);
  }

  markCurrent() {
    const hash = window.location.hash || "#/";
    for (const a of this.querySelectorAll("nav ul a")) {
      const href = a.getAttribute("href");
      const current = href === "#/" ? hash === "#/" || hash === "#" : hash.startsWith(href);
      if (current) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  showUnread(total) {
    this.unreadTotal = total;
    if (total > 0) tr(this.unread, "nav.unread", { count: total });
    else {
      untr(this.unread);
    }
  }

  async refresh() {
    const online = navigator.onLine;
    this.state.hidden = online;
    this.state.dataset.online = String(online);
    if (!online) tr(this.state, "nav.offline");
    const items = await queuedItems().catch(() => []);
    this.queued.hidden = items.length === 0;
    this.queued.dataset.count = String(items.length);
    tr(this.queued, "nav.queued", { count: items.length });
    if (this.unreadTotal !== undefined) this.showUnread(this.unreadTotal);
  }
}

customElements.define("sabaq-nav", AppNav);
