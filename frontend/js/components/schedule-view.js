// Home: the person's schedule for today and the rest of the week, in their time zone.

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { clear, h } from "../dom.js";
import { dayKey, formatDay, formatTime, t, tr, untr, zoneOffset } from "../i18n.js";
import { go } from "../router.js";
import { actionFor, canJoinNow, joinOpensAt } from "../sessions.js";
import { recordingsLink } from "../recordings/links.js";
import { examEntry, proctoringLink } from "../proctoring/links.js";

const REFRESH_MS = 30_000;

class ScheduleView extends HTMLElement {
  connectedCallback() {
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "schedule-status" });
    this.body = h("div", { class: "schedule-body" });
    this.zone = h("p", { class: "zone-note", "data-testid": "zone-note" });
    const person = currentPerson();
    this.append(h("section", { class: "page", "aria-labelledby": "schedule-heading" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "schedule-heading", tabindex: "-1" }), "schedule.title"),
        tr(h("p", { class: "lead", "data-testid": "schedule-scope" }),
          `schedule.scope.${person.role}`)),
      this.zone, this.status, this.body));
    this.onLocale = () => this.render();
    window.addEventListener("sabaq:locale", this.onLocale);
    this.timer = window.setInterval(() => this.render(), REFRESH_MS);
    this.load();
  }

  disconnectedCallback() {
    window.removeEventListener("sabaq:locale", this.onLocale);
    window.clearInterval(this.timer);
  }

  async load() {
    tr(this.status, "schedule.loading");
    try {
      const [week, courses, groups] = await Promise.all([
        api("/api/schedule?range=week"),
        api("/api/courses").catch(() => ({ courses: [] })),
        api("/api/groups").catch(() => ({ groups: [] })),
      ]);
      this.data = week;
      this.courses = new Map(courses.courses.map((c) => [c.id, c]));
      this.groups = new Map(groups.groups.map((g) => [g.id, g]));
      untr(this.status);
      this.render();
    } catch {
      tr(this.status, "schedule.failed");
    }
  }

  render() {
    if (!this.data) return;
    const zone = this.data.timezone;
    tr(this.zone, "schedule.zone", { offset: zoneOffset(zone), zone });
    const today = dayKey(this.data.from, zone);
    const sessions = this.data.sessions;
    const todays = sessions.filter((s) => dayKey(s.starts_at, zone) === today);
    const later = sessions.filter((s) => dayKey(s.starts_at, zone) !== today);
    clear(this.body).append(
      this.section("today", "schedule.today", todays, zone),
      this.section("week", "schedule.week", later, zone, true));
  }

  section(name, key, sessions, zone, byDay = false) {
    const heading = tr(h("h2", { id: `schedule-${name}` }), key);
    const section = h("section", {
      class: "schedule-section", "aria-labelledby": `schedule-${name}`,
      "data-testid": `schedule-${name}`,
    }, heading);
    if (!sessions.length) {
      section.append(tr(h("p", { class: "empty" }), `schedule.empty_${name}`));
      return section;
    }
    if (!byDay) {
      section.append(this.list(sessions, zone));
      return section;
    }
    const days = new Map();
    for (const session of sessions) {
      const key = dayKey(session.starts_at, zone);
      if (!days.has(key)) days.set(key, []);
      days.get(key).push(session);
    }
    for (const daySessions of days.values()) {
      section.append(
        h("h3", { class: "day-heading" }, formatDay(daySessions[0].starts_at, zone)),
        this.list(daySessions, zone));
    }
    return section;
  }

  list(sessions, zone) {
    return h("ul", { class: "session-list", role: "list" },
      sessions.map((session) => this.card(session, zone)));
  }

  card(session, zone) {
    const course = this.courses.get(session.course_id);
    const group = this.groups.get(session.group_id);
    const titleId = `session-title-${session.id}`;
    return h("li", {
      class: `session-card kind-${session.kind} status-${session.status}`,
      "data-testid": `session-${session.id}`, "data-kind": session.kind,
      "aria-labelledby": titleId,
    },
      h("p", { class: "session-time" },
        h("time", { datetime: session.starts_at }, formatTime(session.starts_at, zone)),
        h("span", { "aria-hidden": "true" }, " – "),
        tr(h("span", { class: "visually-hidden" }), "schedule.until"),
        h("time", { datetime: session.ends_at }, formatTime(session.ends_at, zone))),
      h("div", { class: "session-main" },
        h("h3", { id: titleId, class: "session-title" }, session.title),
        h("p", { class: "session-meta" },
          tr(h("span", { class: `badge kind-${session.kind}` }), `kind.${session.kind}`),
          course ? h("span", {}, `${course.code} · ${course.discipline}`) : null,
          group ? h("span", {}, group.name) : null,
          tr(h("span", { class: `status status-${session.status}`,
            "data-testid": `session-status-${session.id}` }), `status.${session.status}`))),
      h("div", { class: "session-action" }, this.action(session, zone, titleId),
        this.attendanceLink(session, titleId),
        recordingsLink(session, currentPerson(), titleId),
        proctoringLink(session, currentPerson(), titleId)));
  }

  /** The tutor and staff open a live or past session's attendance (roster and downloads). */
  attendanceLink(session, titleId) {
    const person = currentPerson();
    const manages = ["admin", "staff"].includes(person.role) || session.tutor_id === person.id;
    if (!manages || session.mode !== "online") return null;
    if (session.status !== "live" && session.status !== "ended") return null;
    const id = `attendance-link-${session.id}`;
    return tr(h("a", { id, href: `#/attendance/${session.id}`, class: "attendance-link",
      "data-testid": `attendance-link-${session.id}`, "aria-describedby": titleId }),
    "schedule.attendance");
  }

  action(session, zone, titleId) {
    const kind = actionFor(session, currentPerson());
    if (!kind) return null;
    const open = canJoinNow(session);
    const noteId = `session-note-${session.id}`;
    const button = tr(h("button", {
      type: "button", class: `button ${kind === "start" ? "primary" : "accent"}`,
      "data-testid": `${kind}-${session.id}`, disabled: !open,
      "aria-describedby": open ? titleId : `${titleId} ${noteId}`,
      onclick: () => this.act(kind, session, button),
    }), kind === "start" ? "schedule.start" : "schedule.join");
    const note = open ? null : tr(h("span", { id: noteId, class: "opens-note" }),
      "schedule.opens_at", { time: formatTime(joinOpensAt(session).toISOString(), zone) });
    return [button, note];
  }

  async act(kind, session, button) {
    button.disabled = true;
    try {
      if (kind === "start") await api(`/api/sessions/${session.id}/start`, { method: "POST" });
      go(examEntry(session, currentPerson()) ?? `#/lobby/${session.id}`);
    } catch (error) {
      tr(this.status, "schedule.action_failed", { reason: error.message || t("error.network") });
      button.disabled = false;
    }
  }
}

customElements.define("sabaq-schedule", ScheduleView);
