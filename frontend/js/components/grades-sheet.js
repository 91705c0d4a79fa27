// The grade sheet (ведомость) of one control (#/sheet/{item}): the document, XLSX download, the
// printable page, signing (which closes the sheet), re-opening by the dean's office with a
// reason, and the audit trail (signed, re-opened, refused changes).

import { api } from "../api.js";
import { currentPerson } from "../auth.js";
import { clear, h } from "../dom.js";
import { t, tr } from "../i18n.js";
import {
  dateTime, failure, formatDate, MANAGER_ROLES, points, routeNumbers, scoreView,
} from "./grades-common.js";

class GradeSheetView extends HTMLElement {
  connectedCallback() {
    [this.itemId] = routeNumbers();
    this.url = `/api/grade-items/${this.itemId}/sheet`;
    this.status = h("p", { class: "status-line", role: "status", "data-testid": "sheet-status-line" });
    this.back = tr(h("a", { href: "#/gradebook", class: "back-link", "data-testid": "sheet-back" }),
      "grades.back_to_gradebook");
    this.body = h("div", { class: "sheet-body" });
    this.append(h("section", { class: "page grade-sheet", "aria-labelledby": "sheet-title" },
      h("div", { class: "page-head" },
        tr(h("h1", { id: "sheet-title", tabindex: "-1" }), "grades.sheet_title"), this.back),
      this.status, this.body));
    this.onLocale = () => this.render();
    window.addEventListener("sabaq:locale", this.onLocale);
    this.load();
  }

  disconnectedCallback() {
    window.removeEventListener("sabaq:locale", this.onLocale);
  }

  async load(focusId) {
    try {
      const [item, sheet, events] = await Promise.all([
        api(`/api/grade-items/${this.itemId}`), api(this.url),
        api(`${this.url}/events`).catch(() => ({ events: [] })),
      ]);
      this.item = item;
      this.sheet = sheet;
      this.events = events.events;
      this.back.href = `#/gradebook/${item.course_id}/${item.group_id}`;
      document.title = `${t("grades.sheet_title")}: ${sheet.control} — ${t("app.name")}`;
      this.render();
      if (focusId) this.querySelector(`[data-testid="${focusId}"]`)?.focus();
    } catch (error) {
      tr(this.status, ...failure(error));
    }
  }

  render() {
    const sheet = this.sheet;
    if (!sheet) return;
    const signed = sheet.status === "signed";
    const exam = sheet.kind === "final_exam";
    const meta = [
      ["grades.sheet_discipline", `${sheet.course_code} ${sheet.discipline}`],
      ["grades.sheet_credits", String(sheet.credits)],
      ["grades.sheet_form", sheet.form_of_control],
      ["grades.sheet_control", sheet.control],
      ["grades.sheet_group", sheet.group],
      ["grades.date", formatDate(sheet.held_on)],
      ["grades.sheet_examiner", sheet.examiner ?? "—"],
    ];
    clear(this.body).append(
      h("div", { class: `sheet-state ${signed ? "signed" : "open"}`, "data-testid": "sheet-state",
        "data-status": sheet.status, tabindex: "-1" },
      tr(h("strong", {}), `grades.sheet_status.${sheet.status}`),
      signed ? tr(h("span", {}), "grades.sheet_signed_by", {
        name: sheet.signed_by?.full_name ?? "—", at: dateTime(sheet.signed_at),
      }) : tr(h("span", {}), "grades.sheet_open_hint")),
      h("dl", { class: "sheet-meta" }, meta.map(([key, value]) => [
        tr(h("dt", {}), key), h("dd", {}, value)])),
      h("div", { class: "sheet-actions" },
        tr(h("a", { class: "button secondary", href: `${this.url}?format=xlsx`, download: "",
          "data-testid": "sheet-xlsx" }), "grades.sheet_xlsx"),
        tr(h("a", { class: "button secondary", href: `${this.url}?format=html`, target: "_blank",
          rel: "noopener", "data-testid": "sheet-print" }), "grades.sheet_print")),
      this.table(exam),
      signed ? this.reopenBox() : this.signBox(),
      this.eventsList());
  }

  table(exam) {
    return h("table", { class: "sheet-table", "data-testid": "sheet-table" },
      tr(h("caption", { class: "visually-hidden" }), "grades.sheet_title"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "№"),
        tr(h("th", { scope: "col" }), "grades.student"),
        exam ? tr(h("th", { scope: "col" }), "grades.admission") : null,
        exam ? tr(h("th", { scope: "col" }), "grades.exam") : null,
        tr(h("th", { scope: "col" }), exam ? "grades.final" : "grades.points"))),
      h("tbody", {}, this.sheet.rows.map((row) => h("tr", {
        "data-testid": `sheet-row-${row.student_id}` },
      h("td", {}, String(row.number)),
      h("th", { scope: "row" }, row.full_name),
      exam ? h("td", {}, row.admission === null ? "—" : points(row.admission)) : null,
      exam ? h("td", {}, row.exam === null ? "—" : points(row.exam)) : null,
      h("td", {}, scoreView(row.points === null ? null : row,
        `sheet-score-${row.student_id}`))))));
  }

  signBox() {
    const confirm = h("div", { class: "confirm-box", hidden: true, "data-testid": "sign-confirm" },
      tr(h("p", { id: "sign-warning" }), "grades.sign_warning", {
        date: formatDate(this.sheet.held_on),
      }),
      h("div", { class: "dialog-actions" },
        tr(h("button", { type: "button", class: "button primary", "data-testid": "sheet-sign-confirm",
          "aria-describedby": "sign-warning", onclick: () => this.sign() }), "grades.sign_confirm"),
        tr(h("button", { type: "button", class: "button secondary", onclick: () => {
          confirm.hidden = true;
          start.focus();
        } }), "grades.cancel")));
    const start = tr(h("button", { type: "button", class: "button primary",
      "data-testid": "sheet-sign", onclick: () => {
        confirm.hidden = false;
        confirm.querySelector("button").focus();
      } }), "grades.sign");
    this.problem = h("div", { "data-testid": "sheet-problem" });
    return h("section", { class: "panel sign-panel", "aria-labelledby": "sign-title" },
      tr(h("h2", { id: "sign-title" }), "grades.sign_title"),
      tr(h("p", { class: "hint" }), "grades.sign_hint"), start, confirm, this.problem);
  }

  reopenBox() {
    if (!MANAGER_ROLES.includes(currentPerson()?.role)) {
      return tr(h("p", { class: "notice", "data-testid": "sheet-closed-note" }),
        "grades.sheet_closed_note");
    }
    const reason = h("textarea", { id: "reopen-reason", rows: 2, maxlength: 500,
      "data-testid": "reopen-reason", "aria-describedby": "reopen-hint reopen-error" });
    const error = h("p", { id: "reopen-error", class: "field-error", "data-testid": "reopen-error" });
    this.problem = h("div", { "data-testid": "sheet-problem" });
    return h("form", { class: "panel reopen-panel", novalidate: true,
      "aria-labelledby": "reopen-title", onsubmit: (event) => {
        event.preventDefault();
        const text = reason.value.trim();
        if (text.length < 3) {
          tr(error, "grades.error_reason_required");
          reason.setAttribute("aria-invalid", "true");
          reason.focus();
          return;
        }
        this.reopen(text);
      } },
    tr(h("h2", { id: "reopen-title" }), "grades.reopen_title"),
    tr(h("p", { id: "reopen-hint", class: "hint" }), "grades.reopen_hint"),
    h("div", { class: "field" }, tr(h("label", { for: "reopen-reason" }), "grades.reason_label"),
      reason, error),
    tr(h("button", { type: "submit", class: "button danger", "data-testid": "sheet-reopen" }),
      "grades.reopen"), this.problem);
  }

  eventsList() {
    if (!this.events.length) return null;
    return h("section", { class: "panel", "aria-labelledby": "events-title" },
      tr(h("h2", { id: "events-title" }), "grades.events_title"),
      h("ol", { class: "events-list", "data-testid": "sheet-events" }, this.events.map((event) =>
        h("li", { "data-action": event.action },
          h("span", {}, dateTime(event.at)), " · ",
          tr(h("strong", {}), `grades.event.${event.action}`), " · ",
          h("span", {}, event.by.full_name),
          event.detail ? h("span", { class: "hint" }, ` · ${event.detail}`) : null))));
  }

  async act(call, key, focusId) {
    try {
      await call();
      tr(this.status, key);
      await this.load(focusId);
    } catch (error) {
      clear(this.problem).append(tr(h("p", { class: "notice error", role: "alert",
        "data-testid": "sheet-error" }), ...failure(error)));
    }
  }

  sign() {
    return this.act(() => api(`${this.url}/sign`, { method: "POST" }), "grades.signed_done",
      "sheet-state");
  }

  reopen(reason) {
    return this.act(() => api(`${this.url}/reopen`, { method: "POST", body: { reason } }),
      "grades.reopened_done", "sheet-sign");
  }
}

customElements.define("sabaq-grade-sheet", GradeSheetView);
