// Assignments (#/assignments, #/assignments/<id>): a student's work and receipts, or a tutor's
// assignments, the form to set one and the roster. The role picks the page's body.

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { clear, h } from "../dom.js";
import { t, tr, untr } from "../i18n.js";
import { offlineNote } from "../offline/ui.js";
import { formatDue } from "../offline/zone.js";
import { StudentAssignment } from "./assignments-student.js";
import { AssignmentForm, Roster } from "./assignments-tutor.js";

class AssignmentsView extends HTMLElement {
  connectedCallback() {
    this.person = currentPerson();
    this.zone = this.person.timezone || "Asia/Almaty";
    this.assignmentId = Number(this.getAttribute("session-id")) || null;
    this.student = this.person.role === "student";
    this.status = h("p", { class: "status-line", role: "status",
      "data-testid": "assignments-status" });
    this.note = h("div", {});
    this.body = h("div", { class: "assignments-body" });
    this.heading = tr(h("h1", { id: "assignments-heading", tabindex: "-1" }), "assignments.title");
    this.append(h("section", { class: "page assignments-page",
      "aria-labelledby": "assignments-heading" },
    h("div", { class: "page-head" }, this.heading,
      this.assignmentId ? null
        : tr(h("p", { class: "lead" }), `assignments.lead.${this.student ? "student" : "tutor"}`)),
    this.note, this.status, this.body));
    this.onNet = () => clear(this.note).append(offlineNote() ?? "");
    window.addEventListener("online", this.onNet);
    window.addEventListener("offline", this.onNet);
    this.onNet();
    this.load();
  }

  disconnectedCallback() {
    window.removeEventListener("online", this.onNet);
    window.removeEventListener("offline", this.onNet);
    this.child?.stop?.();
  }

  async load() {
    tr(this.status, "assignments.loading");
    try {
      const [list, courses, groups] = await Promise.all([
        api("/api/assignments"),
        api("/api/courses").catch(() => ({ courses: [] })),
        api("/api/groups").catch(() => ({ groups: [] })),
      ]);
      this.assignments = list.assignments;
      this.courses = new Map(courses.courses.map((c) => [c.id, c]));
      this.groups = new Map(groups.groups.map((g) => [g.id, g]));
      untr(this.status);
    } catch {
      tr(this.status, "assignments.failed");
      return;
    }
    const ctx = { zone: this.zone, courses: this.courses, groups: this.groups,
      person: this.person, status: this.status };
    if (this.assignmentId) {
      const assignment = this.assignments.find((a) => a.id === this.assignmentId);
      if (!assignment) {
        tr(this.status, "assignments.unknown");
        return;
      }
      this.heading.textContent = assignment.title;
      delete this.heading.dataset.i18n;
      document.title = `${assignment.title} — ${t("app.name")}`;
      this.child = this.student ? new StudentAssignment(assignment, ctx)
        : new Roster(assignment, ctx);
      clear(this.body).append(
        tr(h("a", { href: "#/assignments", class: "back-link", "data-testid": "assignments-back" }),
          "assignments.back"),
        this.child.el);
      this.child.start();
      return;
    }
    clear(this.body).append(await this.listSection(ctx));
    if (!this.student) this.body.append(new AssignmentForm(ctx).el);
  }

  async listSection(ctx) {
    const list = h("ul", { class: "assignment-list", role: "list",
      "data-testid": "assignment-list" });
    const section = h("section", { "aria-labelledby": "assignment-list-heading" },
      tr(h("h2", { id: "assignment-list-heading" }),
        this.student ? "assignments.mine" : "assignments.set"),
      list);
    if (!this.assignments.length) {
      list.append(tr(h("li", { class: "empty" }), "assignments.none"));
      return section;
    }
    const statuses = this.student ? await Promise.all(this.assignments.map((a) =>
      api(`/api/assignments/${a.id}/submission`).then((s) => s.status).catch(() => null)))
      : [];
    this.assignments.forEach((a, index) => list.append(this.card(a, statuses[index], ctx)));
    return section;
  }

  card(a, status, ctx) {
    const course = ctx.courses.get(a.course_id);
    const group = ctx.groups.get(a.group_id);
    const titleId = `assignment-title-${a.id}`;
    return h("li", { class: "assignment-card", "data-testid": `assignment-${a.id}`,
      "aria-labelledby": titleId },
    h("h3", { id: titleId },
      h("a", { href: `#/assignments/${a.id}`, "data-testid": `assignment-link-${a.id}` }, a.title)),
    h("p", { class: "session-meta" },
      course ? h("span", {}, `${course.code} · ${course.discipline}`) : null,
      group ? h("span", {}, group.name) : null,
      status ? tr(h("span", { class: `status submission-${status}`,
        "data-testid": `assignment-status-${a.id}` }), `submission.${status}`) : null,
      a.closed ? tr(h("span", { class: "badge warn" }), "assignments.closed") : null),
    tr(h("p", { class: "due" }), "assignments.due", { time: formatDue(a.due_at, ctx.zone) }));
  }
}

customElements.define("sabaq-assignments", AssignmentsView);
