// The gradebooks a grader may open (#/gradebook): each course with the groups it is taught to,
// and every upcoming midterm control with the students short of two grades (the dean's office
// sees its whole branch here).

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { tr, untr } from "../i18n.js";
import { failure, formatDate } from "./grades-common.js";

class GradebookList extends HTMLElement {
  connectedCallback() {
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "gradebooks-status" });
    this.list = h("div", { "data-testid": "gradebooks" });
    this.risk = h("div", { "data-testid": "gradebooks-at-risk" });
    this.append(h("section", { class: "page", "aria-labelledby": "gradebooks-title" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "gradebooks-title", tabindex: "-1" }), "grades.gradebooks_title"),
        tr(h("p", { class: "lead" }), "grades.gradebooks_lead")),
      this.status, this.list,
      h("section", { class: "panel", "aria-labelledby": "gradebooks-risk-title" },
        tr(h("h2", { id: "gradebooks-risk-title" }), "grades.rule_title"), this.risk)));
    this.load();
  }

  async load() {
    tr(this.status, "grades.loading");
    try {
      const { courses } = await api("/api/courses");
      const [details, risk] = await Promise.all([
        Promise.all(courses.map((c) => api(`/api/courses/${c.id}`).catch(() => null))),
        api("/api/grades/at-risk?days=14").catch(() => ({ controls: [] })),
      ]);
      untr(this.status);
      const pairs = details.filter(Boolean).flatMap((course) => (course.groups ?? [])
        .map((group) => ({ course, group })));
      clear(this.list).append(pairs.length ? h("ul", { class: "gradebook-links" },
        pairs.map(({ course, group }) => h("li", {},
          h("a", { href: `#/gradebook/${course.id}/${group.id}`,
            "data-testid": `gradebook-link-${course.id}-${group.id}` },
          `${course.code} · ${course.discipline} — ${group.name}`))))
        : tr(h("p", { class: "empty" }), "grades.no_gradebooks"));
      clear(this.risk).append(risk.controls.length ? h("ul", { class: "risk-list" },
        risk.controls.map((c) => h("li", {},
          h("a", { href: `#/gradebook/${c.course.id}/${c.group.id}` },
            `${c.course.code} ${c.group.name}: ${c.control.title} `
            + `(${formatDate(c.control.held_on)})`), " — ",
          tr(h("span", {}), "grades.rule_short_count", { count: c.students.length }))))
        : tr(h("p", { class: "empty" }), "grades.rule_no_controls", { days: 14 }));
    } catch (error) {
      tr(this.status, ...failure(error));
    }
  }
}

customElements.define("sabaq-gradebooks", GradebookList);
