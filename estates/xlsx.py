"""Excel exports shared by every app: cells safe against formula injection, and a streamed
workbook whose memory does not grow with the number of rows.

``safe_cell`` turns text that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, or
a leading tab or carriage return) into plain text by prefixing an apostrophe, so that a title
such as ``=HYPERLINK(...)`` typed by a customer is shown, never evaluated.

``streamed_xlsx_response`` writes rows one by one with openpyxl's write-only workbook (rows go to
a temporary file as they come, not into a tree in memory), then hands the finished file to the
client in chunks.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable
from decimal import Decimal

from django.http import FileResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value openpyxl may write: formula-looking text escaped, aware times in the site's zone."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        # Excel has no time zones: write the wall-clock time the pages show.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (int, float, dt.date)):
        return value
    return safe_cell(str(value))


def streamed_xlsx_response(
    *, filename: str, sheet_title: str, headers: list, rows: Iterable[list], widths: list[int] | None = None
) -> FileResponse:
    """An attachment built from ``rows`` (any iterable, e.g. a queryset iterator) in bounded memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("".join(" " if ch in "[]:*?/\\" else ch for ch in str(sheet_title))[:31] or "Sheet")
    for i, width in enumerate(widths or [], start=1):
        from openpyxl.utils import get_column_letter

        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    head = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(h)))
        cell.font = Font(bold=True)
        head.append(cell)
    sheet.append(head)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse when the body is sent
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)
