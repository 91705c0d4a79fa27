// Shared bits of the grades pages: points parsing (0–100, one decimal), how a score is shown,
// dates of grade items, the hash route's numbers and the error message of a failed request.

import { ApiError } from "../api.js";
import { h } from "../dom.js";
import { formatNumber, t, tr } from "../i18n.js";

export const GRADER_ROLES = ["tutor", "staff", "admin"];
export const MANAGER_ROLES = ["staff", "admin"];
export const ITEM_KINDS = [
  "assignment", "test", "colloquium", "practical", "midterm", "final_exam", "other",
];
export const CONTROL_KINDS = ["midterm", "final_exam"];

/** The numbers of the current hash route, e.g. #/gradebook/3/2 → [3, 2]. */
export function routeNumbers() {
  return (window.location.hash.match(/\d+/g) ?? []).map(Number);
}

/**
 * Reads points typed by a person: 0–100 with at most one decimal ("94.5" or "94,5").
 * Returns {value} or {error: i18n key}.
 */
export function parsePoints(text) {
  const raw = String(text ?? "").trim().replace(",", ".");
  if (raw === "") return { error: "grades.error_points_required" };
  if (!/^\d{1,3}(\.\d)?$/.test(raw)) {
    return { error: /^\d+\.\d{2,}$/.test(raw) ? "grades.error_points_decimals"
      : "grades.error_points_format" };
  }
  const value = Number(raw);
  if (value > 100) return { error: "grades.error_points_range" };
  return { value };
}

export function points(value) {
  return formatNumber(value, { maximumFractionDigits: 1 });
}

export function gradePoints(value) {
  return formatNumber(value, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** "94.5 · A · 4.00" as elements (the letter stands out), or a dash for no score. */
export function scoreView(score, testid) {
  if (!score) {
    return h("span", { class: "score empty-score", "data-testid": testid },
      h("span", { "aria-hidden": "true" }, "—"),
      tr(h("span", { class: "visually-hidden" }), "grades.no_score"));
  }
  return h("span", {
    class: "score", "data-testid": testid, "data-points": String(score.points),
    "data-letter": score.letter,
  },
  h("span", { class: "score-points" }, points(score.points)),
  h("span", { class: `letter letter-${letterClass(score.letter)}` }, score.letter),
  h("span", { class: "score-gp" }, gradePoints(score.grade_points)));
}

export function letterClass(letter) {
  if (letter.startsWith("A") || letter.startsWith("B")) return "good";
  if (letter.startsWith("C") || letter.startsWith("D")) return "fair";
  return "poor";
}

/** A grade item's day (YYYY-MM-DD, the faculty's calendar) as 15.11.2025. */
export function formatDate(iso) {
  const [year, month, day] = String(iso).split("-");
  return `${day}.${month}.${year}`;
}

export function dateTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat("en-GB", {
    day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso)).replace(",", "");
}

/** The message key and arguments explaining a failed request to the person. */
export function failure(error) {
  if (!(error instanceof ApiError)) return ["grades.error_generic", { message: String(error) }];
  if (error.status === 0) return ["error.network", {}];
  if (error.status === 409 && error.details?.sheet_id) {
    return ["grades.refused_signed", { sheet: error.details.sheet_id }];
  }
  if (error.status === 403) return ["grades.error_forbidden", {}];
  if (error.status === 404) return ["grades.error_not_found", {}];
  return ["grades.error_generic", { message: error.message || String(error.status) }];
}

export function kindLabel(el, kind) {
  return tr(el, `grades.kind.${kind}`);
}

export function fullTitle(key, args) {
  return `${t(key, args)} — ${t("app.name")}`;
}
