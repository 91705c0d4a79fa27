"""A grade sheet as a file: XLSX (numbers as numbers, Cyrillic as is) and a printable HTML page
(no scripts, no inline styles: the app's CSP forbids both; the look is in /css/print.css)."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from server.export import sheet_name

TITLE = "Ведомость"
HEAD_OF_DEPARTMENT = "Начальник отдела дистанционного обучения"
EXAMINER = "Экзаменатор"
MIDTERM_COLUMNS = ["№", "Ф.И.О. обучающегося", "Баллы", "Буквенная оценка", "Цифровой эквивалент"]
EXAM_COLUMNS = [
    "№",
    "Ф.И.О. обучающегося",
    "Рейтинг допуска",
    "Экзамен",
    "Итоговая оценка",
    "Буквенная оценка",
    "Цифровой эквивалент",
]

PROCTORING = "Прокторинг"
VERDICTS = {"no_concerns": "без замечаний", "concerns": "есть замечания", "violation": "нарушение"}


def _columns(doc: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Headers and the row keys under them (a proctored control: the verdict last)."""
    if doc["kind"] == "final_exam":
        keys = ["number", "full_name", "admission", "exam", "points", "letter", "grade_points"]
        headers = list(EXAM_COLUMNS)
    else:
        keys = ["number", "full_name", "points", "letter", "grade_points"]
        headers = list(MIDTERM_COLUMNS)
    if doc.get("proctored"):
        return [*headers, PROCTORING], [*keys, "proctoring"]
    return headers, keys


def _facts(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("Дисциплина", f"{doc['course_code']} {doc['discipline']}"),
        ("Кредиты", doc["credits"]),
        ("Форма контроля", f"{doc['form_of_control']}: {doc['control']}"),
        ("Группа", doc["group"]),
        ("Дата", doc["held_on"]),
        ("Экзаменатор", doc["examiner"] or ""),
        ("Статус", _status_text(doc)),
    ]


def _status_text(doc: dict[str, Any]) -> str:
    if doc["status"] == "signed":
        return f"подписана {doc['signed_at']}"
    return "не подписана"


def sheet_xlsx(doc: dict[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(f"{doc['group']} {doc['control']}")
    bold = Font(bold=True)
    sheet.append([TITLE])
    sheet["A1"].font = bold
    for label, value in _facts(doc):
        sheet.append([label, value])
    sheet.append([])
    headers, keys = _columns(doc)
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in doc["rows"]:
        sheet.append([_cell(key, row.get(key)) for key in keys])
        sheet.cell(sheet.max_row, keys.index("grade_points") + 1).number_format = "0.00"
    sheet.append([])
    sheet.append([HEAD_OF_DEPARTMENT, "", "______________"])
    sheet.append([EXAMINER, doc["examiner"] or "", "______________"])
    sheet.column_dimensions["B"].width = 36
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_html(doc: dict[str, Any]) -> str:
    headers, keys = _columns(doc)
    facts = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>" for label, value in _facts(doc)
    )
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_text(key, row.get(key)))}</td>" for key in keys) + "</tr>"
        for row in doc["rows"]
    )
    title = escape(f"{TITLE}: {doc['discipline']}, {doc['group']}, {doc['control']}")
    return (
        '<!doctype html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        '<link rel="stylesheet" href="/css/print.css">\n</head>\n<body>\n'
        f'<main class="sheet">\n<h1>{title}</h1>\n'
        f'<dl class="sheet-facts">{facts}</dl>\n'
        f'<table class="sheet-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n'
        '<section class="signatures">\n'
        f"{_signature(HEAD_OF_DEPARTMENT, '')}{_signature(EXAMINER, doc['examiner'] or '')}"
        "</section>\n</main>\n</body>\n</html>\n"
    )


def _signature(role: str, name: str) -> str:
    return (
        '<p class="signature">'
        f'<span class="signature-role">{escape(role)}</span>'
        '<span class="signature-line"></span>'
        f'<span class="signature-name">{escape(name)}</span>'
        "</p>\n"
    )


def _cell(key: str, value: Any) -> Any:
    return VERDICTS.get(value, value) if key == "proctoring" and value else value


def _text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "proctoring":
        return str(_cell(key, value))
    return f"{value:.2f}" if key == "grade_points" else str(value)
