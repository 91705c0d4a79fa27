// The live attendance roster of a session (who is connected, since when, minutes so far),
// polled every few seconds while shown, with the report and chat downloads. Used in the room
// (the tutor's and staff's side panel) and on the attendance page opened from the schedule.

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { formatTime, tr, trAttr, untr } from "../i18n.js";

const POLL_MS = 4000;


export function downloadLinks(sessionId, { chat = true, prefix = "" } = {}) {
  const link = (testid, href, key) => tr(h("a", {
    class: "button small download", href, download: "", "data-testid": `${prefix}${testid}`,
  }), key);
  const base = `/api/sessions/${sessionId}`;
  return [
    link("attendance-xlsx", `${base}/attendance?format=xlsx`, "attendance.download_xlsx"),
    link("attendance-csv", `${base}/attendance?format=csv`, "attendance.download_csv"),
    chat ? link("chat-csv", `${base}/chat/export?format=csv`, "chat.export_csv") : null,
  ];
}

export class AttendancePanel {
  constructor(sessionId, { idPrefix = "attendance", headingKey = "attendance.title" } = {}) {
    this.sessionId = sessionId;
    this.timer = null;
    this.zone = undefined; // the viewer's zone (from the session), as on the schedule
    const headingId = `${idPrefix}-heading`;
    this.heading = tr(h("h2", { id: headingId }), headingKey);
    this.summary = h("p", { class: "attendance-summary", "data-testid": "attendance-summary" });
    this.status = h("p", { class: "status-line", role: "status",
      "data-testid": "attendance-status" });
    this.list = h("ul", { class: "roster", role: "list", "data-testid": "attendance-roster" });
    trAttr(this.list, { "aria-label": ["attendance.roster"] });
    this.updated = h("p", { class: "attendance-updated", "data-testid": "attendance-updated" });
    this.el = h("section", { class: "side-panel attendance", "aria-labelledby": headingId,
      "data-testid": "attendance-panel" },
      this.heading, this.summary, this.status, this.list, this.updated,
      h("div", { class: "downloads", role: "group", "aria-labelledby": `${idPrefix}-downloads` },
        tr(h("p", { id: `${idPrefix}-downloads`, class: "downloads-label" }),
          "attendance.downloads"),
        downloadLinks(sessionId)));
  }

  setZone(zone) {
    this.zone = zone;
    this.render();
  }

  /** Starts (or stops) polling; the panel refreshes at once when it becomes visible. */
  setActive(active) {
    if (active && !this.timer) {
      this.load();
      this.timer = window.setInterval(() => this.load(), POLL_MS);
    } else if (!active && this.timer) {
      window.clearInterval(this.timer);
      this.timer = null;
    this.zone = undefined; // the viewer's zone (from the session), as on the schedule
    }
  }

  stop() {
    this.setActive(false);
  }

  async load() {
    if (this.loading) return;
    this.loading = true;
    if (!this.data) tr(this.status, "attendance.loading");
    try {
      this.data = await api(`/api/sessions/${this.sessionId}/attendance/live`);
      untr(this.status);
      this.render();
    } catch (error) {
      const key = error.status === 403 || error.status === 404
        ? "attendance.forbidden" : "attendance.failed";
      tr(this.status, key);
      if (error.status === 403 || error.status === 404) this.stop();
    } finally {
      this.loading = false;
    }
  }

  render() {
    const data = this.data;
    if (!data) return;
    const students = [...data.students].sort((a, b) =>
      Number(b.connected) - Number(a.connected)
      || a.student.full_name.localeCompare(b.student.full_name));
    tr(this.summary, "attendance.connected_count",
      { connected: data.connected_count, total: data.students.length });
    clear(this.list).append(...students.map((entry) => this.row(entry)));
    tr(this.updated, "attendance.updated_at", { time: formatTime(data.now, this.zone) });
  }

  row(entry) {
    const id = entry.student.id;
    const since = entry.connected
      ? tr(h("span", { class: "roster-since" }), "attendance.since",
        { time: formatTime(entry.since, this.zone) })
      : null;
    return h("li", {
      class: `roster-row ${entry.connected ? "online" : "offline"}`,
      "data-testid": `attendance-${id}`, "data-connected": entry.connected ? "true" : "false",
    },
      h("span", { class: "roster-name" }, entry.student.full_name),
      h("span", { class: "roster-facts" },
        tr(h("span", { class: `badge ${entry.connected ? "online" : "offline"}`,
          "data-testid": `attendance-state-${id}` }),
        entry.connected ? "attendance.connected" : "attendance.not_connected"),
        since,
        tr(h("span", { class: "roster-minutes" }), "attendance.minutes",
          { minutes: Math.floor(entry.minutes_present ?? 0) }),
        entry.drop_outs ? tr(h("span", { class: "roster-drops" }), "attendance.drop_outs",
          { drops: entry.drop_outs }) : null));
  }
}
