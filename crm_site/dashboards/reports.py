"""The monthly customer-relations report: built once per project and month, stored, announced.

The report freezes the dashboard of the month into ``MonthlyReport.data`` (plain JSON), so the
printable page and the Excel file read the stored figures, not today's rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook

from crm_site.models import MonthlyReport
from estates.models import Project, Role, User
from estates.notifications import notify

from . import audit, exports
from .periods import month_period, month_start, previous_month
from .selectors import dashboard_projects, invalidate_project, project_dashboard_build

log = logging.getLogger(__name__)


class _System:
    """The worker's actor when it reads for a report: the project was chosen by id already."""

    is_authenticated = is_active = sees_all_projects = True
    is_superuser = False
    role = Role.ADMIN
    pk = None


SYSTEM = _System()

# Who receives the report: the project's managers, plus the group centre that sees every project.
RECIPIENT_ROLES = (Role.CR_MANAGER, Role.PROJECT_MANAGER)


def _plain(value):
    """JSON-safe copy of the dashboard figures (Decimal → float, dates → ISO, lazy text → str)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Promise):
        return str(value)
    return value


def report_recipients(project: Project):
    return (
        User.objects.filter(is_active=True)
        .filter(Q(projects=project, role__in=RECIPIENT_ROLES) | Q(role=Role.GROUP_CENTRE))
        .distinct()
    )


def monthly_report_build(*, project_id: int, month: dt.date) -> tuple[MonthlyReport, bool]:
    """Build and store the report of ``project_id`` for ``month``, then notify its managers once.

    Idempotent: an existing report is returned untouched (``created`` False) and the notification
    is deduplicated by report. Two workers at once: the unique (project, month) constraint lets
    one insert win; the other returns the winner's row. Raises Project.DoesNotExist.
    """
    month = month_start(month)
    existing = MonthlyReport.objects.filter(project_id=project_id, month=month).first()
    if existing is not None:
        return existing, False
    project = Project.objects.get(pk=project_id)
    period = month_period(month)
    # Reports are written in the site's language (Chinese), whatever the worker's locale.
    with translation.override("zh-hans"):
        data = _plain(project_dashboard_build(actor=SYSTEM, project=project, period=period, today=period.end))
        data["project"] = {"code": project.code, "name": project.name, "city": project.city}
        data["period"] = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(project=project, month=month, data=data)
            audit.record(
                project_id=project.pk,
                actor=None,
                kind=audit.Kind.REPORT_BUILT,
                subject=f"{month:%Y-%m}",
                subject_id=report.pk,
                after={"month": month},
            )
            _announce(report)
    except IntegrityError:
        return MonthlyReport.objects.get(project_id=project_id, month=month), False
    transaction.on_commit(lambda: invalidate_project(project_id))
    return report, True


def monthly_report_request(*, project: Project, actor, month: dt.date) -> None:
    """A manager asks for the month's report: recorded in the trail; the caller queues the build."""
    month = month_start(month)
    existing = MonthlyReport.objects.filter(project=project, month=month).values_list("pk", flat=True).first()
    audit.record(
        project_id=project.pk,
        actor=actor,
        kind=audit.Kind.REPORT_REQUESTED,
        subject=f"{month:%Y-%m}",
        subject_id=existing,
        after={"month": month, "already_built": existing is not None},
    )


def _announce(report: MonthlyReport) -> None:
    project = report.project
    with translation.override("zh-hans"):
        title = _("Monthly customer-relations report %(month)s: %(project)s") % {
            "month": report.month.strftime("%Y-%m"),
            "project": project.name,
        }
    url = reverse("dashboards:report-detail", args=[project.code, report.month.strftime("%Y-%m")])
    notify(
        recipients=report_recipients(project),
        kind="monthly_report",
        title=title,
        url=url,
        dedupe_key=f"monthly-report:{report.pk}",
        project=project,
        body=title,
    )
    MonthlyReport.objects.filter(pk=report.pk, notified_at__isnull=True).update(notified_at=timezone.now())


def monthly_reports_due(*, today: dt.date | None = None) -> list[int]:
    """Ids of projects whose report for last month is still missing (the daily job's worklist)."""
    month = previous_month(today or timezone.localdate())
    done = MonthlyReport.objects.filter(month=month).values("project_id")
    return list(Project.objects.exclude(pk__in=done).order_by("pk").values_list("pk", flat=True))


def monthly_report_list(*, actor, project: Project):
    return MonthlyReport.objects.filter(project__in=dashboard_projects(actor=actor), project=project).order_by("-month")


def monthly_report_get(*, actor, project: Project, month: dt.date) -> MonthlyReport:
    from django.http import Http404

    report = monthly_report_list(actor=actor, project=project).filter(month=month_start(month)).first()
    if report is None:
        raise Http404
    return report


def monthly_report_xlsx(report: MonthlyReport) -> bytes:
    """The stored report as a workbook."""
    data = report.data
    return dashboard_workbook(
        data, project_label=f"{data['project']['name']} ({data['project']['code']})", period_label=report.month.strftime("%Y-%m")
    )


def dashboard_workbook(data: dict, *, project_label: str, period_label: str) -> bytes:
    """A project's figures as a workbook: overview, KPIs, each section's figures, charts and tables,
    milestones. Counts and rates only (the dashboards hold nothing personal); in Chinese."""
    data = _plain(data)
    book = Workbook()
    p = data.get("portfolio", {})
    with translation.override("zh-hans"):
        exports.add_sheet(
            book,
            first=True,
            title=_("Overview"),
            headers=[_("Figure"), _("Value")],
            rows=[
                [_("Project"), project_label],
                [_("Period"), period_label],
                [_("Units"), p.get("units")],
                [_("Active contracts"), p.get("contracts")],
                [_("Owners"), p.get("customers")],
                [_("Handed over"), p.get("handed_over")],
                [_("Contracts signed in the period"), p.get("signed")],
                [_("Handovers in the next 30 days"), p.get("handovers_due")],
            ],
        )
        if data.get("kpis"):
            exports.add_sheet(
                book,
                title=_("KPIs"),
                headers=[_("KPI"), _("Actual (%)"), _("Target (%)"), _("Met"), _("Count"), _("Base")],
                rows=[[k["label"], k["value"], k["target"], _yes_no(k["ok"]), k["num"], k["den"]] for k in data["kpis"]],
            )
        for section in data.get("sections", []):
            if section.get("figures"):
                exports.add_sheet(
                    book,
                    title=section["title"],
                    headers=[_("Figure"), _("Value")],
                    rows=[[f["label"], f["value"]] for f in section["figures"]],
                )
            for chart in section.get("charts", []):
                exports.add_sheet(
                    book, title=chart["title"], headers=chart["headers"], rows=[[r["label"], *r["values"]] for r in chart["rows"]]
                )
            for table in section.get("tables", []):
                exports.add_sheet(book, title=table["title"], headers=table["headers"], rows=[r["cells"] for r in table["rows"]])
        exports.add_sheet(
            book,
            title=_("Milestones"),
            headers=[_("Milestone"), _("Planned date"), _("Actual date"), _("Deviation (%)"), _("Days late")],
            rows=[
                [m["label"], m["planned_on"], m["actual_on"], m["percent"], m["late_days"]] for m in data.get("milestones", [])
            ],
        )
    return exports.workbook_bytes(book)


def _yes_no(value):
    return "" if value is None else (_("yes") if value else _("no"))
