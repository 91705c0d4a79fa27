// The tutor's side of assignments: the form to set one for a course and group, and the roster
// (who submitted, who is late, who has not) with the archive download. The API has no
// submission event, so the roster polls every few seconds while it is open.

import { api } from "../api.js";
import { append, clear, h } from "../dom.js";
import { formatTime, t, tr } from "../i18n.js";
import { go } from "../router.js";
import { announce, field } from "../offline/ui.js";
import { defaultDueInput, formatBytes, formatDue, localInputToIso } from "../offline/zone.js";

const POLL_MS = 3_000;
const TYPES = ["pdf", "docx", "doc", "odt", "pptx", "xlsx", "txt", "zip", "png", "jpg"];

export class AssignmentForm {
  constructor(ctx) {
    this.ctx = ctx;
    this.course = h("select", { "data-testid": "new-course", onchange: () => this.loadGroups() });
    for (const c of ctx.courses.values()) {
      this.course.append(h("option", { value: c.id }, `${c.code} · ${c.discipline}`));
    }
    this.group = h("select", { "data-testid": "new-group" });
    this.title = h("input", { type: "text", maxlength: 200, required: true,
      "data-testid": "new-title" });
    this.instructions = h("textarea", { rows: 4, "data-testid": "new-instructions" });
    this.due = h("input", { type: "datetime-local", required: true, "data-testid": "new-due",
      value: defaultDueInput(ctx.zone) });
    this.points = h("input", { type: "number", min: 1, max: 100, value: 100,
      "data-testid": "new-points" });
    this.size = h("input", { type: "number", min: 1, max: 100, value: 10,
      "data-testid": "new-size" });
    this.late = h("input", { type: "checkbox", id: "new-late", "data-testid": "new-late" });
    this.types = TYPES.map((ext) => h("input", { type: "checkbox", value: ext, id: `type-${ext}`,
      checked: ext === "pdf" || ext === "docx", "data-testid": `new-type-${ext}` }));
    this.error = h("p", { class: "form-error", role: "alert", "data-testid": "new-error" });
    this.el = h("section", { class: "card new-assignment", "aria-labelledby": "new-heading" },
      tr(h("h2", { id: "new-heading" }), "assignments.new"),
      h("form", { "data-testid": "new-assignment", novalidate: true,
        onsubmit: (event) => { event.preventDefault(); this.create(); } },
      h("div", { class: "form-grid" },
        field("new-course", "assignments.course", this.course),
        field("new-group", "assignments.group", this.group),
        field("new-title", "assignments.title_field", this.title),
        field("new-due", "assignments.due_field", this.due, "assignments.due_zone",
          { zone: ctx.zone }),
        field("new-points", "assignments.max_points", this.points),
        field("new-size", "assignments.max_size", this.size)),
      field("new-instructions", "assignments.instructions", this.instructions),
      h("fieldset", { class: "type-choice" },
        tr(h("legend", {}), "assignments.accepted_types"),
        this.types.map((box) => h("span", { class: "type-option" }, box,
          h("label", { for: box.id }, box.value.toUpperCase())))),
      h("div", { class: "field checkbox" }, this.late,
        tr(h("label", { for: "new-late" }), "assignments.late_field")),
      this.error,
      tr(h("button", { type: "submit", class: "button primary", "data-testid": "new-create" }),
        "assignments.create")));
    this.loadGroups();
  }

  async loadGroups() {
    clear(this.group);
    if (!this.course.value) return;
    try {
      const course = await api(`/api/courses/${this.course.value}`);
      for (const g of course.groups) {
        if (this.ctx.groups.has(g.id)) this.group.append(h("option", { value: g.id }, g.name));
      }
    } catch {
      tr(this.error, "assignments.failed");
    }
  }

  async create() {
    this.error.textContent = "";
    const types = this.types.filter((box) => box.checked).map((box) => box.value);
    if (!this.title.value.trim() || !this.group.value || !this.due.value || !types.length) {
      tr(this.error, "assignments.form_incomplete");
      return;
    }
    try {
      const created = await api("/api/assignments", { method: "POST", body: {
        course_id: Number(this.course.value),
        group_id: Number(this.group.value),
        title: this.title.value.trim(),
        instructions: this.instructions.value,
        due_at: localInputToIso(this.due.value, this.ctx.zone),
        max_points: Number(this.points.value) || 100,
        accepted_types: types,
        max_file_bytes: Math.round(Number(this.size.value) * 1024 * 1024),
        late_accepted: this.late.checked,
      } });
      announce(t("assignments.created", { title: created.title }));
      go(`#/assignments/${created.id}`);
    } catch (error) {
      tr(this.error, "assignments.create_failed", { reason: error.message || t("error.network") });
    }
  }
}

export class Roster {
  constructor(assignment, ctx) {
    this.a = assignment;
    this.ctx = ctx;
    this.counts = h("p", { class: "roster-counts", "data-testid": "roster-counts" });
    this.updated = h("p", { class: "hint", "data-testid": "roster-updated" });
    this.table = h("tbody", { "data-testid": "roster-rows" });
    const course = ctx.courses.get(assignment.course_id);
    const group = ctx.groups.get(assignment.group_id);
    this.el = h("div", { class: "roster", "data-testid": "roster" },
      h("p", { class: "session-meta" },
        course ? h("span", {}, `${course.code} · ${course.discipline}`) : null,
        group ? h("span", {}, group.name) : null,
        tr(h("span", {}), "assignments.due", { time: formatDue(assignment.due_at, ctx.zone) }),
        tr(h("span", {}), "assignments.limits", {
          types: assignment.accepted_types.map((x) => x.toUpperCase()).join(", "),
          size: formatBytes(assignment.max_file_bytes, t) })),
      h("section", { "aria-labelledby": "roster-heading" },
        tr(h("h2", { id: "roster-heading" }), "assignments.roster"),
        this.counts,
        h("table", { class: "roster-table" },
          h("thead", {}, h("tr", {},
            tr(h("th", { scope: "col" }), "assignments.student"),
            tr(h("th", { scope: "col" }), "assignments.status"),
            tr(h("th", { scope: "col" }), "assignments.submitted_at"),
            tr(h("th", { scope: "col" }), "assignments.versions"))),
          this.table),
        this.updated,
        tr(h("a", { href: `/api/assignments/${assignment.id}/archive`, download: "",
          class: "button secondary", "data-testid": "roster-archive" }),
        "assignments.archive")));
  }

  start() {
    this.load();
    this.timer = window.setInterval(() => this.load(), POLL_MS);
  }

  stop() {
    window.clearInterval(this.timer);
  }

  async load() {
    if (this.loading) return;
    this.loading = true;
    try {
      const roster = await api(`/api/assignments/${this.a.id}/submissions`);
      this.render(roster);
    } catch {
      tr(this.updated, "assignments.roster_failed");
    } finally {
      this.loading = false;
    }
  }

  render(roster) {
    const c = roster.counts;
    const summary = JSON.stringify(c);
    if (this.summary && this.summary !== summary) {
      announce(t("assignments.roster_changed", c));
    }
    this.summary = summary;
    tr(this.counts, "assignments.counts", c);
    tr(this.updated, "attendance.updated_at",
      { time: formatTime(new Date().toISOString(), this.ctx.zone) });
    append(clear(this.table), roster.students.map((row) => h("tr", {
      "data-testid": `roster-row-${row.student.id}`, "data-status": row.status },
    h("th", { scope: "row" }, row.student.full_name),
    h("td", {}, tr(h("span", { class: `status submission-${row.status}` }),
      `submission.${row.status}`)),
    h("td", {}, row.submitted_at ? formatDue(row.submitted_at, this.ctx.zone) : "—"),
    h("td", {}, String(row.versions ?? 0)))));
  }
}
