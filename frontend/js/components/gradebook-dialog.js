// The grade editor: a modal dialog with points (0–100, one decimal), feedback, the reason for a
// change and "show it to the student now". Errors are spelled out next to their field; a change
// refused because a signed grade sheet covers the grade (409) is shown as an alert.

import { api } from "../api.js";
import { clear, h } from "../dom.js";
import { tr, trAttr, untr } from "../i18n.js";
import { dateTime, failure, formatDate, parsePoints, points, scoreView } from "./grades-common.js";

export class GradeDialog {
  constructor() {
    this.el = h("dialog", {
      class: "grade-dialog", "aria-labelledby": "grade-dialog-title",
      "data-testid": "grade-dialog",
    });
    this.el.addEventListener("close", () => this.returnFocus?.());
  }

  /**
   * options: {student, item, grade, heading?, save: async (body) => result,
   *           sheetLink?: (sheetId) => href|null, historyUrl?, onSaved, returnFocus}
   */
  open(options) {
    this.options = options;
    this.returnFocus = options.returnFocus;
    const { student, item, grade } = options;
    this.pointsInput = h("input", {
      id: "grade-points", type: "text", inputmode: "decimal", autocomplete: "off",
      "data-testid": "grade-points", value: grade ? String(grade.points) : "",
      "aria-describedby": "grade-points-hint grade-points-error", required: true,
    });
    this.pointsError = h("p", { id: "grade-points-error", class: "field-error",
      "data-testid": "grade-points-error" });
    this.feedback = h("textarea", { id: "grade-feedback", rows: 2, maxlength: 2000,
      "data-testid": "grade-feedback" });
    this.feedback.value = grade?.feedback ?? "";
    this.reason = h("input", { id: "grade-reason", type: "text", maxlength: 500,
      "data-testid": "grade-reason", "aria-describedby": "grade-reason-hint grade-reason-error" });
    this.reasonError = h("p", { id: "grade-reason-error", class: "field-error",
      "data-testid": "grade-reason-error" });
    this.release = h("input", { id: "grade-release", type: "checkbox",
      "data-testid": "grade-release", checked: Boolean(grade?.released), disabled:
        Boolean(grade?.released) });
    this.problem = h("div", { class: "dialog-problem", "data-testid": "grade-problem" });
    this.history = h("div", { class: "grade-history", "data-testid": "grade-history" });
    this.saveButton = tr(h("button", { type: "submit", class: "button primary",
      "data-testid": "grade-save" }), "grades.save");
    const form = h("form", { novalidate: true, onsubmit: (event) => this.submit(event) },
      h("div", { class: "field" },
        tr(h("label", { for: "grade-points" }), "grades.points_label"),
        tr(h("p", { id: "grade-points-hint", class: "hint" }), "grades.points_hint"),
        this.pointsInput, this.pointsError),
      h("div", { class: "field" },
        tr(h("label", { for: "grade-feedback" }), "grades.feedback_label"), this.feedback),
      grade ? h("div", { class: "field" },
        tr(h("label", { for: "grade-reason" }), "grades.reason_label"),
        tr(h("p", { id: "grade-reason-hint", class: "hint" }), "grades.reason_hint"),
        this.reason, this.reasonError) : null,
      h("div", { class: "field checkbox" }, this.release,
        tr(h("label", { for: "grade-release" }), grade?.released ? "grades.already_released"
          : "grades.release_label")),
      this.problem,
      h("div", { class: "dialog-actions" }, this.saveButton,
        tr(h("button", { type: "button", class: "button secondary", "data-testid": "grade-cancel",
          onclick: () => this.el.close() }), "grades.cancel"),
        options.historyUrl && grade ? tr(h("button", { type: "button", class: "button small",
          "data-testid": "grade-show-history", onclick: () => this.loadHistory() }),
        "grades.history") : null));
    clear(this.el).append(
      tr(h("h2", { id: "grade-dialog-title" }), options.heading ?? "grades.edit_title"),
      h("p", { class: "dialog-context", "data-testid": "grade-context" },
        h("strong", {}, student.full_name), h("br"),
        `${item.title} · ${formatDate(item.held_on)}`),
      grade ? h("p", { class: "dialog-current" },
        tr(h("span", {}), "grades.current"), " ", scoreView(grade, "grade-current")) : null,
      options.warning ? h("p", { class: "notice", "data-testid": "grade-warning" },
        options.warning) : null,
      form, this.history);
    if (!this.el.open) this.el.showModal();
    this.pointsInput.focus();
  }

  setFieldError(input, holder, key) {
    if (key) {
      tr(holder, key);
      input.setAttribute("aria-invalid", "true");
    } else {
      untr(holder);
      input.removeAttribute("aria-invalid");
    }
  }

  async submit(event) {
    event.preventDefault();
    clear(this.problem);
    const { grade } = this.options;
    const parsed = parsePoints(this.pointsInput.value);
    this.setFieldError(this.pointsInput, this.pointsError, parsed.error);
    const feedback = this.feedback.value.trim();
    const reason = this.reason.value.trim();
    const changes = grade && (parsed.value !== grade.points || feedback !== (grade.feedback ?? ""));
    let reasonKey = null;
    if (changes && reason.length < 3) reasonKey = "grades.error_reason_required";
    if (grade) this.setFieldError(this.reason, this.reasonError, reasonKey);
    if (parsed.error) {
      this.pointsInput.focus();
      return;
    }
    if (reasonKey) {
      this.reason.focus();
      return;
    }
    const body = { points: parsed.value, feedback, release: this.release.checked };
    if (changes) body.reason = reason;
    this.saveButton.disabled = true;
    try {
      const saved = await this.options.save(body);
      this.el.close();
      this.options.onSaved?.(saved);
    } catch (error) {
      this.showProblem(error);
    } finally {
      this.saveButton.disabled = false;
    }
  }

  showProblem(error) {
    const [key, args] = failure(error);
    const refused = error.status === 409 && error.details?.sheet_id;
    const link = refused ? this.options.sheetLink?.(error.details.sheet_id) : null;
    const box = h("div", { class: `notice error${refused ? " refusal" : ""}`, role: "alert",
      "data-testid": refused ? "grade-refused" : "grade-error" },
    refused ? tr(h("strong", { class: "refusal-title" }), "grades.refused_title") : null,
    tr(h("p", {}), key, args),
    link ? tr(h("a", { href: link, "data-testid": "grade-refused-sheet" }),
      "grades.open_sheet") : null);
    if (error.status === 422) {
      const field = Array.isArray(error.details) ? error.details[0]?.field : null;
      if (field === "points") this.setFieldError(this.pointsInput, this.pointsError,
        "grades.error_points_format");
      if (/reason/.test(error.message) && this.options.grade) {
        this.setFieldError(this.reason, this.reasonError, "grades.error_reason_required");
      }
    }
    clear(this.problem).append(box);
    box.scrollIntoView({ block: "nearest" });
  }

  async loadHistory() {
    try {
      const { changes } = await api(this.options.historyUrl);
      clear(this.history).append(
        tr(h("h3", {}), "grades.history"),
        h("ol", { class: "history-list", "data-testid": "grade-history-list" },
          changes.map((change) => h("li", {},
            h("span", {}, dateTime(change.changed_at)), " · ",
            h("span", {}, change.changed_by.full_name), " · ",
            h("span", {}, `${change.old_points === null ? "—" : points(change.old_points)} → `
              + points(change.new_points)),
            change.reason ? h("span", { class: "hint" }, ` · ${change.reason}`) : null))));
    } catch (error) {
      clear(this.history).append(tr(h("p", { class: "notice error" }), ...failure(error)));
    }
  }
}

export function cellLabel(el, student, item, grade) {
  return trAttr(el, {
    "aria-label": grade ? ["grades.cell_edit", { student: student.full_name, item: item.title,
      points: points(grade.points), letter: grade.letter }]
      : ["grades.cell_add", { student: student.full_name, item: item.title }],
  });
}
