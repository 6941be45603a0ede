"""The weekly complaint report (投诉周报): built every Monday for the week before, stored,
announced to managers (in-app and e-mail), downloadable as Excel."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Project, Role, User
from estates.notifications import notify

from . import selectors
from .models import SEVERITY_CODES, Category, Severity, WeeklyReport


class _GroupReader:
    """The report is group-wide: an actor that sees every project (never a request's user)."""

    is_authenticated = True
    is_active = True
    sees_all_projects = True
    is_superuser = False
    role = Role.GROUP_CENTRE


def last_week_start(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7)


def weekly_report_build(*, week_start: date | None = None) -> WeeklyReport:
    """Build and store the report of the week starting ``week_start`` (Monday; default last
    week) and tell the managers. Repeating it returns the stored report and notifies nobody again."""
    week_start = week_start or last_week_start(timezone.localdate())
    existing = WeeklyReport.objects.filter(week_start=week_start).first()
    if existing is not None:
        return existing
    week_end = week_start + timedelta(days=6)
    reader = _GroupReader()
    projects = []
    for project in Project.objects.order_by("code"):
        summary = selectors.complaint_project_summary(actor=reader, project=project, start=week_start, end=week_end)
        if not summary["total"] and not summary["overdue"]:
            continue
        kpis = selectors.complaint_kpis(actor=reader, project=project, start=week_start, end=week_end)
        projects.append(
            {
                "code": project.code,
                "name": project.name,
                "city": project.city,
                "summary": summary,
                "kpis": {k: kpis[k] for k in ("satisfaction_rate", "on_time_rate", "closure_rate", "revisit_rate")},
            }
        )
    overall = selectors.complaint_kpis(actor=reader, start=week_start, end=week_end)
    data = {
        "week_start": week_start.isoformat(),
        "week_end": week_end.isoformat(),
        "projects": projects,
        "overall": {
            k: overall[k] for k in ("satisfaction_rate", "on_time_rate", "closure_rate", "revisit_rate", "targets", "counts")
        },
        "by_category": overall["by_category"],
        "by_severity": overall["by_severity"],
    }
    try:
        with transaction.atomic():
            report = WeeklyReport.objects.create(week_start=week_start, data=data)
            managers = User.objects.filter(is_active=True).filter(Q(role=Role.CR_MANAGER) | Q(role=Role.GROUP_CENTRE))
            notify(
                recipients=managers,
                kind="complaint_weekly_report",
                title=_("Weekly complaint report %(start)s – %(end)s") % {"start": week_start, "end": week_end},
                body=_("%(filed)s complaints filed, %(closed)s closed.")
                % {"filed": overall["counts"]["filed"], "closed": overall["counts"]["closed"]},
                url=reverse("complaints:report", args=[week_start.isoformat()]),
                dedupe_key=f"complaint-weekly:{week_start}",
            )
    except IntegrityError:  # another worker built it at the same moment
        report = WeeklyReport.objects.get(week_start=week_start)
    return report


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def weekly_report_xlsx(report: WeeklyReport) -> bytes:
    """The stored report as an Excel workbook (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    data = report.data
    wb = Workbook()
    ws = wb.active
    ws.title = _("Report summary")[:31]
    bold = Font(bold=True)
    ws.append([_("Weekly complaint report"), f"{data['week_start']} – {data['week_end']}"])
    ws["A1"].font = bold
    ws.append([])
    ws.append([_("Indicator"), _("Value"), _("Target")])
    for cell in ws[3]:
        cell.font = bold
    targets = data["overall"]["targets"]
    for key, label in (
        ("satisfaction_rate", _("Satisfaction")),
        ("on_time_rate", _("On time")),
        ("closure_rate", _("Closure")),
        ("revisit_rate", _("Follow-up call rate")),
    ):
        ws.append([label, _pct(data["overall"][key]), _pct(targets[key])])
    ws.append([])
    ws.append([_("Category"), _("Filed"), _("Closed")])
    for code, label in Category.choices:
        bucket = data["by_category"].get(code, {})
        ws.append([str(label), bucket.get("filed", 0), bucket.get("closed", 0)])
    ws.append([])
    ws.append([_("Severity"), _("Filed"), _("Closed")])
    for value, code in SEVERITY_CODES.items():
        bucket = data["by_severity"].get(code, {})
        ws.append([str(Severity(value).label), bucket.get("filed", 0), bucket.get("closed", 0)])

    sheet = wb.create_sheet(_("Projects")[:31])
    sheet.append(
        [
            _("Project"),
            _("City"),
            _("Filed"),
            _("Open"),
            _("Overdue"),
            _("Escalated"),
            _("Satisfaction"),
            _("On time"),
            _("Closure"),
            _("Follow-up call rate"),
        ]
    )
    for cell in sheet[1]:
        cell.font = bold
    for row in data["projects"]:
        s, k = row["summary"], row["kpis"]
        sheet.append(
            [
                f"{row['name']} ({row['code']})",
                row["city"],
                s["total"],
                s["open"],
                s["overdue"],
                s["escalated"],
                _pct(k["satisfaction_rate"]),
                _pct(k["on_time_rate"]),
                _pct(k["closure_rate"]),
                _pct(k["revisit_rate"]),
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
