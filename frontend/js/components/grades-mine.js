// A student's own grades (#/grades): the released grades of each course with points, letter and
// grade points, feedback, the admission rating, the exam and the final mark.

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { tr, untr } from "../i18n.js";
import { failure, formatDate, kindLabel, scoreView } from "./grades-common.js";

class MyGradesView extends HTMLElement {
  connectedCallback() {
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "my-grades-status" });
    this.body = h("div", { class: "my-grades", "data-testid": "my-grades" });
    this.append(h("section", { class: "page", "aria-labelledby": "my-grades-title" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "my-grades-title", tabindex: "-1" }), "grades.mine_title"),
        tr(h("p", { class: "lead" }), "grades.mine_lead")),
      this.status, this.body));
    this.onLocale = () => this.render();
    window.addEventListener("sabaq:locale", this.onLocale);
    this.load();
  }

  disconnectedCallback() {
    window.removeEventListener("sabaq:locale", this.onLocale);
  }

  async load() {
    tr(this.status, "grades.loading");
    try {
      this.courses = (await api("/api/me/grades")).courses;
      untr(this.status);
      this.render();
    } catch (error) {
      tr(this.status, ...failure(error));
    }
  }

  render() {
    if (!this.courses) return;
    if (!this.courses.length) {
      clear(this.body).append(tr(h("p", { class: "empty", "data-testid": "my-grades-empty" }),
        "grades.mine_empty"));
      return;
    }
    clear(this.body).append(...this.courses.map((course) => this.course(course)));
  }

  course(entry) {
    const id = `my-course-${entry.course.id}-${entry.group.id}`;
    return h("section", { class: "panel my-course", "aria-labelledby": id,
      "data-testid": `my-course-${entry.course.id}` },
    h("h2", { id }, `${entry.course.code} · ${entry.course.discipline}`),
    tr(h("p", { class: "hint" }), "grades.mine_course_meta", { group: entry.group.name,
      credits: entry.course.credits }),
    h("table", { class: "my-grades-table" },
      tr(h("caption", { class: "visually-hidden" }), "grades.mine_caption",
        { code: entry.course.code }),
      h("thead", {}, h("tr", {},
        tr(h("th", { scope: "col" }), "grades.item_title"),
        tr(h("th", { scope: "col" }), "grades.kind_label"),
        tr(h("th", { scope: "col" }), "grades.date"),
        tr(h("th", { scope: "col" }), "grades.grade"),
        tr(h("th", { scope: "col" }), "grades.feedback_label"))),
      h("tbody", {}, entry.grades.map((grade) => h("tr", {
        "data-testid": `my-grade-${grade.item.id}` },
      h("th", { scope: "row" }, grade.item.title),
      h("td", {}, kindLabel(h("span", { class: "badge" }), grade.item.kind)),
      h("td", {}, formatDate(grade.item.held_on)),
      h("td", {}, scoreView(grade, `my-score-${grade.item.id}`)),
      h("td", { class: "feedback" }, grade.feedback || "—"))))),
    h("dl", { class: "my-summary" },
      tr(h("dt", {}), "grades.admission"),
      h("dd", {}, scoreView(entry.admission, `my-admission-${entry.course.id}`),
        entry.admitted === null ? null : tr(h("span", { class: `admitted ${entry.admitted
          ? "yes" : "no"}` }), entry.admitted ? "grades.admitted" : "grades.not_admitted")),
      tr(h("dt", {}), "grades.exam"),
      h("dd", {}, scoreView(entry.exam, `my-exam-${entry.course.id}`)),
      tr(h("dt", {}), "grades.final"),
      h("dd", {}, scoreView(entry.final, `my-final-${entry.course.id}`))));
  }
}

customElements.define("sabaq-my-grades", MyGradesView);
