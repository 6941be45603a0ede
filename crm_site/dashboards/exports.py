"""Excel files (openpyxl) for the dashboards and the monthly report. Nothing personal is written:
the dashboards hold counts, never names, phones or ID numbers."""

from __future__ import annotations

import io
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from estates.spreadsheets import safe_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAD_FILL = PatternFill("solid", fgColor="E6F0F4")


def _cell(value):
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_cell(value)  # project names and the like: never a formula (estates/spreadsheets.py)
    if isinstance(value, (int, float)):
        return value
    return str(value)


def add_sheet(book: Workbook, *, title: str, headers: list, rows: list[list], first: bool = False):
    sheet = book.active if first else book.create_sheet()
    # Excel refuses these characters in sheet names and cuts them at 31; openpyxl numbers duplicates.
    sheet.title = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title))[:31].strip() or "Sheet"
    sheet.append([str(h) for h in headers])
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = Font(bold=True), HEAD_FILL, Alignment(vertical="center")
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for i, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(str(_cell(r[i - 1]))) for r in rows[:200]]) + 4
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 50)
    sheet.freeze_panes = "A2"
    return sheet


def workbook_bytes(book: Workbook) -> bytes:
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
