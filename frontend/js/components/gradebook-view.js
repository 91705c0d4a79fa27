// The gradebook of one course and group (#/gradebook/{course}/{group}), for its tutors, the dean's
// office and admins: students × grade items with points, letter and grade points, the admission
// rating and final mark; editing a grade; releasing an item's grades; the students short of two
// grades before the next midterm control (from /api/grades/at-risk); links to the grade sheets;
// grading the assignments' submissions; the control plan.

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { t, tr, trAttr } from "../i18n.js";
import { cellLabel, GradeDialog } from "./gradebook-dialog.js";
import { PlanPanel } from "./gradebook-plan.js";
import { SubmissionsPanel } from "./gradebook-submissions.js";
import {
  CONTROL_KINDS, failure, formatDate, kindLabel, routeNumbers, scoreView,
} from "./grades-common.js";

const AT_RISK_DAYS = 14;

class GradebookView extends HTMLElement {
  connectedCallback() {
    [this.courseId, this.groupId] = routeNumbers();
    this.base = `/api/courses/${this.courseId}/groups/${this.groupId}`;
    this.lead = h("p", { class: "lead", "data-testid": "gradebook-course" });
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "gradebook-status" });
    this.risk = h("section", { class: "at-risk", "aria-labelledby": "at-risk-title",
      "data-testid": "at-risk" });
    this.tableHolder = h("div", { class: "table-scroll", tabindex: "0", role: "region",
      "data-testid": "gradebook-region" });
    trAttr(this.tableHolder, { "aria-label": ["grades.table_region"] });
    this.dialog = new GradeDialog();
    this.submissions = new SubmissionsPanel(this);
    this.plan = new PlanPanel(this);
    this.append(h("section", { class: "page gradebook", "aria-labelledby": "gradebook-title" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "gradebook-title", tabindex: "-1" }), "grades.gradebook_title"),
        this.lead,
        tr(h("a", { href: "#/gradebook", class: "back-link", "data-testid": "gradebook-back" }),
          "grades.all_gradebooks")),
      this.status, this.risk,
      h("section", { class: "grades-table-section", "aria-labelledby": "gradebook-grades-title" },
        tr(h("h2", { id: "gradebook-grades-title" }), "grades.grades_heading"),
        this.tableHolder,
        h("p", { class: "hint legend" },
          h("span", { class: "unreleased-mark", "aria-hidden": "true" }, "○"), " ",
          tr(h("span", {}), "grades.legend_unreleased"), " ",
          h("span", { class: "lock-mark", "aria-hidden": "true" }), " ",
          tr(h("span", {}), "grades.legend_frozen"))),
      this.submissions.el, this.plan.el, this.dialog.el));
    this.onLocale = () => this.render();
    window.addEventListener("sabaq:locale", this.onLocale);
    this.load();
  }

  disconnectedCallback() {
    window.removeEventListener("sabaq:locale", this.onLocale);
  }

  say(key, args) {
    tr(this.status, key, args);
  }

  async load(focusId) {
    try {
      const book = await api(`${this.base}/gradebook`);
      const controls = book.items.filter((item) => CONTROL_KINDS.includes(item.kind));
      const [sheets, risk] = await Promise.all([
        Promise.all(controls.map((item) => api(`/api/grade-items/${item.id}/sheet`)
          .catch(() => null))),
        api(`/api/grades/at-risk?days=${AT_RISK_DAYS}`).catch(() => ({ controls: [] })),
      ]);
      this.book = book;
      this.sheets = new Map(controls.map((item, i) => [item.id, sheets[i]]));
      this.atRisk = risk.controls.filter((c) => c.course.id === book.course.id
        && c.group.id === book.group.id);
      document.title = `${t("grades.gradebook_title")}: ${book.course.code} ${book.group.name}`
        + ` — ${t("app.name")}`;
      this.render();
      this.submissions.setBook(book);
      this.plan.setBook(book, this.sheets);
      if (focusId) this.querySelector(`[data-testid="${focusId}"]`)?.focus();
    } catch (error) {
      this.say(...failure(error));
    }
  }

  render() {
    const book = this.book;
    if (!book) return;
    tr(this.lead, "grades.gradebook_lead", {
      code: book.course.code, discipline: book.course.discipline, group: book.group.name,
      credits: book.course.credits,
    });
    this.renderRisk();
    clear(this.tableHolder).append(this.table());
  }

  /** Signed sheets freeze every grade dated on or before their control (the exam's: all). */
  frozenBy(item) {
    for (const [controlId, sheet] of this.sheets) {
      if (sheet?.status !== "signed") continue;
      const control = this.book.items.find((i) => i.id === controlId);
      if (control.kind === "final_exam" || item.held_on <= control.held_on) return sheet;
    }
    return null;
  }

  sheetItemOf(sheetId) {
    for (const [itemId, sheet] of this.sheets) if (sheet?.sheet_id === sheetId) return itemId;
    return null;
  }

  flags() {
    const found = new Map();
    for (const control of this.atRisk) {
      for (const entry of control.students) {
        if (!found.has(entry.student.id)) found.set(entry.student.id, { control, ...entry });
      }
    }
    return found;
  }

  renderRisk() {
    clear(this.risk).append(tr(h("h2", { id: "at-risk-title" }), "grades.rule_title"),
      tr(h("p", { class: "hint" }), "grades.rule_hint", { days: AT_RISK_DAYS }));
    if (!this.atRisk.length) {
      this.risk.append(tr(h("p", { class: "empty", "data-testid": "at-risk-none" }),
        "grades.rule_no_controls", { days: AT_RISK_DAYS }));
      return;
    }
    for (const control of this.atRisk) {
      const args = { control: control.control.title, date: formatDate(control.control.held_on),
        count: control.days_left, days: control.days_left };
      const box = h("div", { class: `risk-control${control.students.length ? " short" : ""}`,
        "data-testid": `at-risk-control-${control.control.id}` },
      tr(h("p", { class: "risk-head" }), "grades.rule_control", args));
      if (!control.students.length) {
        box.append(tr(h("p", { class: "ok-line" }), "grades.rule_all_ok"));
      } else {
        box.append(tr(h("p", {}), "grades.rule_short_count", { count: control.students.length }),
          h("ul", { class: "risk-list" }, control.students.map((entry) => h("li", {
            "data-testid": `at-risk-student-${entry.student.id}` },
          h("strong", {}, entry.student.full_name), " — ",
          tr(h("span", {}), "grades.rule_has", { count: entry.grades, grades: entry.grades })))));
      }
      this.risk.append(box);
    }
  }

  table() {
    const book = this.book;
    if (!book.students.length) return tr(h("p", { class: "empty" }), "grades.no_students");
    const flags = this.flags();
    const head = h("tr", {},
      tr(h("th", { scope: "col", class: "student-col" }), "grades.student"),
      book.items.map((item) => this.itemHeader(item)),
      tr(h("th", { scope: "col", class: "summary-col" }), "grades.admission"),
      tr(h("th", { scope: "col", class: "summary-col" }), "grades.final"));
    const rows = book.students.map((row) => {
      const flag = flags.get(row.student.id);
      return h("tr", { class: flag ? "at-risk-row" : null,
        "data-testid": `row-${row.student.id}` },
      h("th", { scope: "row", class: "student-col" },
        h("span", { class: "student-name" }, row.student.full_name),
        flag ? tr(h("span", { class: "badge warn flag", "data-testid": `flag-${row.student.id}` }),
          "grades.flag_short", { control: flag.control.control.title, count: flag.grades,
            grades: flag.grades }) : null),
      book.items.map((item) => this.cell(row, item)),
      h("td", { class: "summary-col" }, scoreView(row.admission, `admission-${row.student.id}`),
        row.admitted === null ? null : tr(h("span", { class: `admitted ${row.admitted ? "yes"
          : "no"}` }), row.admitted ? "grades.admitted" : "grades.not_admitted")),
      h("td", { class: "summary-col" }, scoreView(row.final, `final-${row.student.id}`)));
    });
    return h("table", { class: "gradebook-table", "data-testid": "gradebook-table" },
      tr(h("caption", { class: "visually-hidden" }), "grades.table_caption",
        { group: book.group.name, code: book.course.code }),
      h("thead", {}, head), h("tbody", {}, rows));
  }

  itemHeader(item) {
    const sheet = this.sheets.get(item.id);
    const control = CONTROL_KINDS.includes(item.kind);
    return h("th", { scope: "col", class: `item-col kind-${item.kind}`,
      "data-testid": `item-${item.id}` },
    h("span", { class: "item-title" }, item.title),
    h("span", { class: "item-meta" }, kindLabel(h("span", { class: "badge" }), item.kind), " ",
      h("span", {}, formatDate(item.held_on))),
    h("span", { class: "item-actions" },
      control ? tr(h("a", { href: `#/sheet/${item.id}`, class: "sheet-link",
        "data-testid": `sheet-link-${item.id}` }),
      sheet?.status === "signed" ? "grades.sheet_signed_link" : "grades.sheet_link") : null,
      trAttr(tr(h("button", { type: "button", class: "button small",
        "data-testid": `release-${item.id}`, onclick: () => this.release(item) }),
      "grades.release"), { "aria-label": ["grades.release_item", { item: item.title }] })));
  }

  cell(row, item) {
    const grade = row.grades[String(item.id)] ?? null;
    const frozen = this.frozenBy(item);
    const testid = `cell-${item.id}-${row.student.id}`;
    const button = h("button", { type: "button", class: `cell-button${grade && !grade.released
      ? " unreleased" : ""}${frozen ? " frozen" : ""}`, "data-testid": testid,
    onclick: () => this.edit(row, item, grade, testid) },
    scoreView(grade, `score-${item.id}-${row.student.id}`),
    grade && !grade.released ? h("span", { class: "unreleased-mark", "aria-hidden": "true" }, "○")
      : null,
    frozen ? h("span", { class: "lock-mark", "aria-hidden": "true" }) : null);
    cellLabel(button, row.student, item, grade);
    return h("td", { class: "grade-cell" }, button);
  }

  edit(row, item, grade, testid) {
    const frozen = this.frozenBy(item);
    this.dialog.open({
      student: row.student, item, grade,
      warning: frozen ? t("grades.frozen_warning", { control: frozen.control }) : null,
      historyUrl: `/api/grade-items/${item.id}/grades/${row.student.id}/history`,
      save: async (body) => {
        const { points, feedback, release, reason } = body;
        return api(`${this.base}/gradebook/grades`, {
          method: "POST",
          body: { grades: [{ item_id: item.id, student_id: row.student.id, points, feedback }],
            release, ...(reason ? { reason } : {}) },
        });
      },
      sheetLink: (sheetId) => {
        const itemId = this.sheetItemOf(sheetId);
        return itemId ? `#/sheet/${itemId}` : null;
      },
      onSaved: () => {
        this.say("grades.saved", { student: row.student.full_name, item: item.title });
        this.load(testid);
      },
      returnFocus: () => this.querySelector(`[data-testid="${testid}"]`)?.focus(),
    });
  }

  async release(item) {
    try {
      const { released } = await api(`/api/grade-items/${item.id}/release`, { method: "POST" });
      this.say("grades.released", { count: released, item: item.title });
      this.load(`release-${item.id}`);
    } catch (error) {
      this.say(...failure(error));
    }
  }
}

customElements.define("sabaq-gradebook", GradebookView);
