// Grading submitted work from the gradebook: the course and group's assignments, one's roster
// (GET /api/assignments/{id}/submissions), and a grade per submitted student through
// PUT /api/submissions/{id}/grade (the assignment's grade item is made on first use).

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { tr, trAttr } from "../i18n.js";
import { dateTime, failure, scoreView } from "./grades-common.js";

export class SubmissionsPanel {
  constructor(view) {
    this.view = view;
    this.select = h("select", { id: "submissions-assignment",
      "data-testid": "submissions-assignment", onchange: () => this.loadRoster() });
    this.body = h("div", { class: "submissions-body", "data-testid": "submissions-body" });
    this.el = h("section", { class: "panel submissions-panel",
      "aria-labelledby": "submissions-title", "data-testid": "submissions-panel" },
    tr(h("h2", { id: "submissions-title" }), "grades.submissions_title"),
    h("div", { class: "field-inline" },
      tr(h("label", { for: "submissions-assignment" }), "grades.assignment"), this.select),
    this.body);
  }

  async setBook(book) {
    this.book = book;
    if (!this.assignments) {
      try {
        const { assignments } = await api("/api/assignments");
        this.assignments = assignments.filter((a) => a.course_id === book.course.id
          && a.group_id === book.group.id);
      } catch (error) {
        clear(this.body).append(tr(h("p", { class: "notice error" }), ...failure(error)));
        return;
      }
      const chosen = this.select.value;
      clear(this.select).append(
        tr(h("option", { value: "" }), "grades.choose_assignment"),
        ...this.assignments.map((a) => h("option", { value: String(a.id) }, a.title)));
      if (!this.assignments.length) {
        this.select.disabled = true;
        clear(this.body).append(tr(h("p", { class: "empty" }), "grades.no_assignments"));
        return;
      }
      this.select.value = chosen;
    }
    if (this.select.value) this.loadRoster();
  }

  async loadRoster() {
    const id = Number(this.select.value);
    if (!id) {
      clear(this.body);
      return;
    }
    try {
      this.roster = await api(`/api/assignments/${id}/submissions`);
      this.render(this.assignments.find((a) => a.id === id));
    } catch (error) {
      clear(this.body).append(tr(h("p", { class: "notice error" }), ...failure(error)));
    }
  }

  render(assignment) {
    const item = this.book.items.find((i) => i.assignment_id === assignment.id) ?? null;
    const grades = new Map(this.book.students.map((row) => [row.student.id,
      item ? row.grades[String(item.id)] ?? null : null]));
    const counts = this.roster.counts;
    clear(this.body).append(
      tr(h("p", { class: "hint", "data-testid": "submissions-counts" }), "grades.submission_counts",
        counts),
      h("table", { class: "grades-roster-table", "data-testid": "submissions-table" },
        tr(h("caption", { class: "visually-hidden" }), "grades.roster_caption",
          { title: assignment.title }),
        h("thead", {}, h("tr", {},
          tr(h("th", { scope: "col" }), "grades.student"),
          tr(h("th", { scope: "col" }), "grades.submission_status"),
          tr(h("th", { scope: "col" }), "grades.submitted_at"),
          tr(h("th", { scope: "col" }), "grades.grade"),
          tr(h("th", { scope: "col" }), "grades.action"))),
        h("tbody", {}, this.roster.students.map((entry) => this.row(entry, assignment, item,
          grades.get(entry.student.id) ?? null)))));
  }

  row(entry, assignment, item, grade) {
    const submitted = entry.submission_id && entry.versions > 0;
    const testid = `grade-submission-${entry.student.id}`;
    const button = submitted ? trAttr(tr(h("button", { type: "button", class: "button small",
      "data-testid": testid, onclick: () => this.grade(entry, assignment, item, grade, testid) }),
    grade ? "grades.regrade" : "grades.grade_action"),
    { "aria-label": [grade ? "grades.regrade_of" : "grades.grade_of",
      { student: entry.student.full_name }] }) : null;
    return h("tr", { "data-testid": `submission-${entry.student.id}` },
      h("th", { scope: "row" }, entry.student.full_name),
      h("td", {}, tr(h("span", { class: `badge sub-${entry.status}` }),
        `grades.submission.${entry.status}`)),
      h("td", {}, dateTime(entry.submitted_at)),
      h("td", {}, scoreView(grade, `submission-score-${entry.student.id}`)),
      h("td", {}, button));
  }

  grade(entry, assignment, item, grade, testid) {
    const view = this.view;
    const heldOn = item?.held_on ?? new Date(assignment.due_at).toISOString().slice(0, 10);
    view.dialog.open({
      heading: "grades.grade_submission_title",
      student: entry.student,
      item: item ?? { title: assignment.title, held_on: heldOn },
      grade,
      historyUrl: item ? `/api/grade-items/${item.id}/grades/${entry.student.id}/history` : null,
      save: (body) => api(`/api/submissions/${entry.submission_id}/grade`,
        { method: "PUT", body }),
      sheetLink: (sheetId) => {
        const itemId = view.sheetItemOf(sheetId);
        return itemId ? `#/sheet/${itemId}` : null;
      },
      onSaved: () => {
        view.say("grades.saved", { student: entry.student.full_name, item: assignment.title });
        view.load(testid);
      },
      returnFocus: () => this.body.querySelector(`[data-testid="${testid}"]`)?.focus(),
    });
  }
}
