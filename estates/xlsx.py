"""Excel exports shared by every app: cells safe against formula injection, and a streamed
workbook whose memory does not grow with the number of rows.

``safe_cell`` turns text that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, or
a leading tab or carriage return) into plain text by prefixing an apostrophe, so that a title
such as ``=HYPERLINK(...)`` typed by a customer is shown, never evaluated.

``write_xlsx`` streams rows into the sheet of a minimal workbook (rows go to the zip as they come,
never into a tree in memory); ``streamed_xlsx_response`` writes it to a temporary file and hands
the finished file to the client in chunks.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from django.http import FileResponse
from django.utils import timezone
from openpyxl.utils import get_column_letter

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


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
_STATIC_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Styles: 0 plain, 1 bold (the header), 2 date and time, 3 date.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def _xml_text(value: str) -> str:
    return escape(_ILLEGAL_XML.sub("", value))


def _cell_xml(ref: str, value, *, style: int = 0) -> str:
    """One ``<c>`` element at ``ref`` (A1): numbers and booleans as numbers, dates as serials, the
    rest inline text; an empty value is no element at all (its reference is simply absent)."""
    value = safe_cell(value)
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"{s}><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="3"><v>{(value - _EPOCH.date()).days}</v></c>'
    if value == "":
        return ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'


def write_xlsx(target, *, sheet_title: str, headers: list, rows: Iterable[list], widths: list[int] | None = None) -> None:
    """Write a one-sheet workbook to ``target`` (a path or a binary file) row by row.

    The sheet's XML is streamed into the zip entry as rows come, so memory stays flat whatever
    the number of rows, and it is several times faster than openpyxl's pure-Python writer (which
    builds an element per cell). Cells go through ``safe_cell``. Opens in Excel, LibreOffice, WPS
    and openpyxl.
    """
    title = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(sheet_title))[:31].strip() or "Sheet"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, content in _STATIC_PARTS.items():
            book.writestr(name, content)
        book.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{_xml_text(title)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw, io.TextIOWrapper(raw, "utf-8") as out:
            out.write(
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/></sheetView></sheetViews>'
            )
            if widths:
                cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
                out.write(f"<cols>{cols}</cols>")
            out.write("<sheetData>")
            letters = [get_column_letter(i) for i in range(1, max(len(headers), 1) + 1)]
            out.write(
                '<row r="1">'
                + "".join(_cell_xml(f"{c}1", str(h), style=1) for c, h in zip(letters, headers, strict=False))
                + "</row>"
            )
            buffer = []
            for n, row in enumerate(rows, start=2):
                if len(row) > len(letters):
                    letters += [get_column_letter(i) for i in range(len(letters) + 1, len(row) + 1)]
                buffer.append(
                    f'<row r="{n}">' + "".join(_cell_xml(f"{c}{n}", v) for c, v in zip(letters, row, strict=False)) + "</row>"
                )
                if len(buffer) >= 500:
                    out.write("".join(buffer))
                    buffer.clear()
            out.write("".join(buffer))
            out.write("</sheetData></worksheet>")


def streamed_xlsx_response(
    *, filename: str, sheet_title: str, headers: list, rows: Iterable[list], widths: list[int] | None = None
) -> FileResponse:
    """An attachment built from ``rows`` (any iterable, e.g. a queryset iterator) in bounded
    memory: written to a temporary file row by row, then sent in chunks."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse when the body is sent
    write_xlsx(spool, sheet_title=sheet_title, headers=headers, rows=rows, widths=widths)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)
