// The attendance page of one session, opened from the schedule by its tutor or staff: the live
// roster (refreshed every few seconds while the session is live) and the report downloads.

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatTime, t, tr } from "../i18n.js";
import { AttendancePanel } from "../room/attendance-panel.js";

class AttendanceView extends HTMLElement {
  connectedCallback() {
    this.sessionId = Number(this.getAttribute("session-id"));
    this.lead = h("p", { class: "lead", "data-testid": "attendance-session" });
    this.panel = new AttendancePanel(this.sessionId,
      { idPrefix: "attendance-page", headingKey: "attendance.roster" });
    this.panel.el.classList.add("attendance-page-panel");
    this.append(h("section", { class: "page", "aria-labelledby": "attendance-page-title" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "attendance-page-title", tabindex: "-1" }), "attendance.page_title"),
        this.lead),
      this.panel.el,
      tr(h("a", { href: "#/", class: "button secondary", "data-testid": "attendance-back" }),
        "room.back")));
    this.load();
  }

  disconnectedCallback() {
    this.panel.stop();
  }

  async load() {
    try {
      const session = await api(`/api/sessions/${this.sessionId}`);
      tr(this.lead, "attendance.page_lead", {
        title: session.title, time: formatTime(session.starts_at, session.local.timezone),
        status: t(`status.${session.status}`),
      });
      document.title = `${t("attendance.page_title")}: ${session.title} — ${t("app.name")}`;
      this.panel.setZone(session.local.timezone);
      if (session.status === "live") this.panel.setActive(true);
      else this.panel.load();
    } catch {
      tr(this.lead, "lobby.session_unknown");
    }
  }
}

customElements.define("sabaq-attendance", AttendanceView);
