"""Excel workbooks of the risk register and the disclosure sheet (openpyxl)."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from estates.spreadsheets import safe_cell

HEADER_FILL = PatternFill("solid", fgColor="E0F0F5")
OVERDUE_FILL = PatternFill("solid", fgColor="FFF4F2")


def _safe(value):
    """Text that starts like a formula is written as text (no formula injection from user input)."""
    return safe_cell(value)


def _sheet(wb: Workbook, title: str, header: list[str]):
    ws = wb.active
    ws.title = title[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
    ws.freeze_panes = "A2"
    return ws


def _bytes(wb: Workbook) -> bytes:
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_workbook(items, *, today) -> bytes:
    """The risk pre-control table (风险预控表), one row per item; overdue rows shaded."""
    wb = Workbook()
    ws = _sheet(
        wb,
        _("Risk register"),
        [
            _("Project"),
            _("Title"),
            _("Level"),
            _("Risk source"),
            _("Customer view"),
            _("Measures"),
            _("Owner"),
            _("Deadline"),
            _("Status"),
            _("Overdue"),
            _("Closing note"),
            _("Origin"),
        ],
    )
    for item in items:
        overdue = item.status != "closed" and item.deadline < today
        ws.append(
            [
                _safe(v)
                for v in (
                    item.project.code,
                    item.title,
                    item.get_level_display(),
                    item.get_source_display(),
                    item.get_customer_view_display(),
                    item.measures,
                    item.owner.display_name if item.owner else "",
                    item.deadline,
                    item.get_status_display(),
                    _("Yes") if overdue else "",
                    item.closing_note,
                    item.origin,
                )
            ]
        )
        if overdue:
            for cell in ws[ws.max_row]:
                cell.fill = OVERDUE_FILL
    for col, width in zip("ABCDEFGHIJKL", (10, 36, 8, 10, 12, 40, 12, 12, 10, 8, 30, 10), strict=True):
        ws.column_dimensions[col].width = width
    return _bytes(wb)


def disclosure_workbook(project, factors) -> bytes:
    """The disclosure sheet (不利因素公示表) for the sales office."""
    wb = Workbook()
    ws = _sheet(
        wb,
        _("Disclosure sheet"),
        [
            _("Category"),
            _("Type"),
            _("Description"),
            _("Distance (m)"),
            _("Direction"),
            _("Source of the information"),
            _("Status"),
            _("Disclosed in"),
        ],
    )
    for f in factors:
        places = "; ".join(f"{d.get_place_display()}: {d.evidence}" for d in f.disclosures.all())
        ws.append(
            [
                _safe(v)
                for v in (
                    f.factor_type.get_category_display(),
                    f.factor_type.name,
                    f.description,
                    f.distance_m,
                    f.get_direction_display(),
                    f.info_source,
                    f.get_status_display(),
                    places,
                )
            ]
        )
    ws.append([])
    ws.append([_safe(f"{project.name} ({project.code})"), _("Printed"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    for col, width in zip("ABCDEFGH", (10, 14, 40, 10, 8, 24, 10, 50), strict=True):
        ws.column_dimensions[col].width = width
    return _bytes(wb)
