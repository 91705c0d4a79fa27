"""Tables to spreadsheet files: CSV (UTF-8 with BOM, so spreadsheet programs show Cyrillic) and
XLSX (numbers as numbers, times as real date-times in the reader's zone)."""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

Cell = str | int | float | datetime | None
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
CSV_TIME = "%Y-%m-%d %H:%M:%S"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Table:
    """One sheet: a title, a header row and rows of typed cells (times are aware)."""

    title: str
    headers: list[str]
    rows: list[list[Cell]]


def local(value: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """The wall-clock time in ``tz`` without a zone: spreadsheets have no zones."""
    return value.astimezone(tz).replace(tzinfo=None)


def to_csv(table: Table, tz: zoneinfo.ZoneInfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows([_csv_cell(cell, tz) for cell in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(cell: Cell, tz: zoneinfo.ZoneInfo) -> str | int | float:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return local(cell, tz).strftime(CSV_TIME)
    return cell


def to_xlsx(tables: Sequence[Table], tz: zoneinfo.ZoneInfo) -> bytes:
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(title=sheet_name(table.title))
        bold = Font(bold=True)
        sheet.append([_styled(sheet, header, font=bold) for header in table.headers])
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, cell, tz) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, cell: Cell, tz: zoneinfo.ZoneInfo) -> Any:
    if isinstance(cell, datetime):
        return _styled(sheet, local(cell, tz), number_format=DATETIME_FORMAT)
    return cell


def _styled(sheet: Any, value: Cell, **style: Any) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def sheet_name(title: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    return title.translate(SHEET_NAME_FORBIDDEN)[:31] or "Sheet"
