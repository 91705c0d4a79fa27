// The control plan of a course and group: the midterm controls (РК1, РК2) and the final exam with
// their dates, the weighting (admission % / exam %) and the admission minimum, and adding a grade
// item. A change a signed sheet forbids comes back as 409 and is shown as a refusal.

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { tr, trAttr } from "../i18n.js";
import { CONTROL_KINDS, failure, formatDate, ITEM_KINDS, kindLabel } from "./grades-common.js";

export class PlanPanel {
  constructor(view) {
    this.view = view;
    this.message = h("div", { class: "panel-message", "data-testid": "plan-message" });
    this.body = h("div", {});
    this.el = h("section", { class: "panel plan-panel", "aria-labelledby": "plan-title",
      "data-testid": "plan-panel" },
    tr(h("h2", { id: "plan-title" }), "grades.plan_title"), this.message, this.body);
  }

  setBook(book, sheets) {
    this.book = book;
    this.sheets = sheets;
    this.render();
  }

  show(kind, key, args) {
    clear(this.message).append(tr(h("p", { class: kind === "error" ? "notice error" : "notice ok",
      role: kind === "error" ? "alert" : "status", "data-testid": `plan-${kind}` }), key, args));
  }

  render() {
    const plan = this.book.plan;
    const controls = this.book.items.filter((item) => CONTROL_KINDS.includes(item.kind));
    clear(this.body).append(
      h("h3", {}, tr(h("span", {}), "grades.plan_controls")),
      controls.length ? h("ul", { class: "plan-controls", "data-testid": "plan-controls" },
        controls.map((item) => this.controlRow(item)))
        : tr(h("p", { class: "empty" }), "grades.plan_no_controls"),
      this.weighting(plan),
      this.addItemForm());
  }

  controlRow(item) {
    const id = `plan-date-${item.id}`;
    const input = h("input", { id, type: "date", value: item.held_on,
      "data-testid": `plan-date-${item.id}` });
    const sheet = this.sheets.get(item.id);
    return h("li", { class: "plan-control", "data-testid": `plan-control-${item.id}` },
      h("span", { class: "plan-control-title" }, item.title), " ",
      kindLabel(h("span", { class: "badge" }), item.kind), " ",
      sheet?.status === "signed" ? tr(h("span", { class: "badge signed" }),
        "grades.sheet_status.signed") : null,
      h("span", { class: "field-inline" },
        tr(h("label", { for: id }), "grades.date"),
        input,
        trAttr(tr(h("button", { type: "button", class: "button small",
          "data-testid": `plan-date-save-${item.id}`,
          onclick: () => this.moveItem(item, input.value) }), "grades.save"),
        { "aria-label": ["grades.save_date_of", { item: item.title }] })));
  }

  weighting(plan) {
    const admission = h("input", { id: "plan-admission", type: "number", min: 0, max: 100,
      step: 1, value: String(plan.admission_percent), "data-testid": "plan-admission",
      "aria-describedby": "plan-weight-hint" });
    const minimum = h("input", { id: "plan-min", type: "number", min: 0, max: 100, step: 1,
      value: String(plan.admission_min), "data-testid": "plan-min" });
    const exam = h("output", { for: "plan-admission", id: "plan-exam",
      "data-testid": "plan-exam" }, String(plan.exam_percent));
    admission.addEventListener("input", () => {
      const value = Number(admission.value);
      exam.value = Number.isInteger(value) && value >= 0 && value <= 100 ? String(100 - value)
        : "—";
    });
    return h("form", { class: "plan-weights", novalidate: true, "data-testid": "plan-form",
      onsubmit: (event) => {
        event.preventDefault();
        this.saveWeights(admission.value, minimum.value);
      } },
    h("h3", {}, tr(h("span", {}), "grades.plan_weighting")),
    tr(h("p", { id: "plan-weight-hint", class: "hint" }), "grades.plan_weight_hint"),
    h("div", { class: "form-row" },
      h("div", { class: "field" }, tr(h("label", { for: "plan-admission" }),
        "grades.admission_percent"), admission),
      h("div", { class: "field" }, tr(h("span", { class: "field-label", id: "plan-exam-label" }),
        "grades.exam_percent"), h("span", { class: "output-box" }, exam)),
      h("div", { class: "field" }, tr(h("label", { for: "plan-min" }), "grades.admission_min"),
        minimum)),
    tr(h("button", { type: "submit", class: "button secondary", "data-testid": "plan-save" }),
      "grades.plan_save"));
  }

  addItemForm() {
    const kind = h("select", { id: "item-kind", "data-testid": "item-kind" },
      ITEM_KINDS.map((k) => kindLabel(h("option", { value: k }), k)));
    const title = h("input", { id: "item-title", type: "text", maxlength: 200,
      "data-testid": "item-title" });
    const day = h("input", { id: "item-date", type: "date", "data-testid": "item-date" });
    return h("form", { class: "add-item", novalidate: true, "data-testid": "item-form",
      onsubmit: (event) => {
        event.preventDefault();
        this.addItem(kind.value, title.value.trim(), day.value);
      } },
    h("h3", {}, tr(h("span", {}), "grades.add_item")),
    h("div", { class: "form-row" },
      h("div", { class: "field" }, tr(h("label", { for: "item-kind" }), "grades.kind_label"),
        kind),
      h("div", { class: "field grow" }, tr(h("label", { for: "item-title" }),
        "grades.item_title"), title),
      h("div", { class: "field" }, tr(h("label", { for: "item-date" }), "grades.date"), day)),
    tr(h("button", { type: "submit", class: "button secondary", "data-testid": "item-add" }),
      "grades.add_item_button"));
  }

  async saveWeights(admissionText, minText) {
    const admission = Number(admissionText);
    const minimum = Number(minText);
    const whole = (v, text) => text.trim() !== "" && Number.isInteger(v) && v >= 0 && v <= 100;
    if (!whole(admission, admissionText) || !whole(minimum, minText)) {
      this.show("error", "grades.error_percent");
      return;
    }
    await this.run(() => api(`${this.view.base}/control-plan`, { method: "PUT",
      body: { admission_percent: admission, admission_min: minimum } }), "grades.plan_saved");
  }

  async moveItem(item, day) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      this.show("error", "grades.error_date");
      return;
    }
    await this.run(() => api(`/api/grade-items/${item.id}`, { method: "PATCH",
      body: { held_on: day } }), "grades.item_moved", { item: item.title, date: formatDate(day) });
  }

  async addItem(kind, title, day) {
    if (!title) {
      this.show("error", "grades.error_title");
      return;
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      this.show("error", "grades.error_date");
      return;
    }
    await this.run(() => api("/api/grade-items", { method: "POST", body: {
      course_id: this.book.course.id, group_id: this.book.group.id, kind, title, held_on: day,
    } }), "grades.item_added", { item: title });
  }

  async run(call, key, args) {
    try {
      await call();
      this.show("ok", key, args);
      await this.view.load();
    } catch (error) {
      this.show("error", ...failure(error));
    }
  }
}
