"""Excel exports shared by every app: cells safe against formula injection, and a streamed
workbook whose memory does not grow with the number of rows.

``safe_cell`` turns text that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, or
a leading tab or carriage return) into plain text by prefixing an apostrophe, so that a title
such as ``=HYPERLINK(...)`` typed by a customer is shown, never evaluated.

``write_xlsx`` streams rows into a one-sheet workbook with XlsxWriter's constant-memory mode;
``streamed_xlsx_response`` writes it to a temporary file and hands the finished file to the client
in chunks.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterable
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .spreadsheets import safe_cell as text_cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """A value openpyxl may write: formula-looking text escaped, aware times in the site's zone."""
    if value is None:
        return ""
    if isinstance(value, str):
        return text_cell(value)  # the one rule for text in every export (estates/spreadsheets.py)
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


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_xlsx(target, *, sheet_title: str, headers: list, rows: Iterable[list], widths: list[int] | None = None) -> None:
    """Write a one-sheet workbook to ``target`` (a path or a binary file) row by row.

    XlsxWriter in ``constant_memory`` mode flushes each row to disk as soon as the next begins, so
    memory stays flat whatever the number of rows, and it is several times faster than
    openpyxl's writer (which builds an element per cell). Cells go through ``safe_cell``; text is
    always written as text (``write_string``), never parsed as a formula or a URL.
    """
    title = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(sheet_title))[:31].strip() or "Sheet"
    book = xlsxwriter.Workbook(
        target, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    try:
        bold = book.add_format({"bold": True})
        stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet = book.add_worksheet(title)
        sheet.freeze_panes(1, 0)
        for i, w in enumerate(widths or []):
            sheet.set_column(i, i, w)
        for c, h in enumerate(headers):
            sheet.write_string(0, c, _ILLEGAL_XML.sub("", str(h)), bold)
        for r, row in enumerate(rows, start=1):
            for c, raw in enumerate(row):
                value = safe_cell(raw)
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, stamp)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, day)
                elif value != "":
                    sheet.write_string(r, c, _ILLEGAL_XML.sub("", value))
    finally:
        book.close()


def streamed_xlsx_response(
    *, filename: str, sheet_title: str, headers: list, rows: Iterable[list], widths: list[int] | None = None
) -> FileResponse:
    """An attachment built from ``rows`` (any iterable, e.g. a queryset iterator) in bounded
    memory: written to a temporary file row by row, then sent in chunks."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse when the body is sent
    write_xlsx(spool, sheet_title=sheet_title, headers=headers, rows=rows, widths=widths)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


def capped(rows: Iterable[list], limit: int) -> Iterable[list]:
    """``rows`` up to ``limit``, then one note row saying the file was cut (every list export)."""
    for n, row in enumerate(rows):
        if n >= limit:
            yield [_("Only the first %(n)d rows are exported; narrow the filters.") % {"n": limit}]
            return
        yield row
