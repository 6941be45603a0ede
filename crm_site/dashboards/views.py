"""Dashboard, scorecard and report pages. Each view parses input, resolves the project through the
scoped selector (404 outside scope), calls a selector or service and renders."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from . import audit, charts, exports, periods, reports, scorecard, sections, selectors
from .forms import ActualsForm, MeasureForm


def _period(request) -> periods.Period:
    return periods.resolve(request.GET.get("period"))


def _month(request) -> dt.date:
    """``?month=YYYY-MM``; defaults to the current month; nonsense falls back rather than erroring."""
    raw = request.GET.get("month") or request.POST.get("month") or ""
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()  # noqa: DTZ007 - a calendar month, no time
    except ValueError:
        return periods.month_start(timezone.localdate())


@login_required
def project_dashboard_home(request):
    """The first project the user may see; an empty state when they have none."""
    first = selectors.dashboard_projects(actor=request.user).first()
    if first is None:
        return render(request, "dashboards/no_projects.html")
    target = reverse("dashboards:project-dashboard", args=[first.code])
    query = request.GET.urlencode()
    return redirect(f"{target}?{query}" if query else target)


@login_required
def project_dashboard(request, code):
    # The switcher's list and the project in one query; a code outside it is a 404 like a missing one.
    projects = list(selectors.dashboard_projects(actor=request.user))
    project = next((p for p in projects if p.code == code), None)
    if project is None:
        raise Http404
    period = _period(request)
    data = selectors.project_dashboard(actor=request.user, project=project, period=period)
    return render(
        request,
        "dashboards/project.html",
        {
            "project": project,
            "period": period,
            "period_choices": periods.CHOICES,
            "data": data,
            "projects": [{"code": p.code, "name": p.name} for p in projects],
            "milestone_chart": _milestone_chart(data["milestones"]),
            "portfolio_figures": _portfolio_figures(project, data["portfolio"]),
        },
    )


@login_required
def project_export(request, code):
    """The project dashboard of the chosen period as Excel (counts and rates; nothing personal)."""
    project = selectors.dashboard_project_get(actor=request.user, code=code)
    period = _period(request)
    data = selectors.project_dashboard(actor=request.user, project=project, period=period)
    content = reports.dashboard_workbook(
        data, project_label=f"{project.name} ({project.code})", period_label=f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"
    )
    return exports.xlsx_response(content, f"dashboard-{project.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


def _portfolio_figures(project, p: dict) -> list[dict]:
    """The estates numbers, each linking to the project file that lists the units and buyers."""
    link = reverse("estates:project-detail", args=[project.code])
    return [
        {"value": p["units"], "label": _("Units"), "url": link},
        {"value": p["contracts"], "label": _("Active contracts"), "url": link},
        {"value": p["customers"], "label": _("Owners"), "url": link},
        {"value": p["handed_over"], "label": _("Handed over"), "url": link},
        {
            "value": p["handovers_due"],
            "label": _("Handovers in the next 30 days"),
            "url": link,
            "tone": "warn" if p["handovers_due"] else "plain",
        },
        {"value": p["signed"], "label": _("Contracts signed in the period"), "url": link},
    ]


def _milestone_chart(stones) -> dict | None:
    measured = [m for m in stones if m["percent"] is not None]
    if not measured:
        return None
    spec = charts.chart(
        kind="bar",
        categories=[m["label"] for m in measured],
        series=[{"name": _("Deviation (%)"), "data": [m["percent"] for m in measured]}],
        unit="%",
    )
    spec["band"] = 10  # the ±10 % abnormal band
    return charts.block(
        id="chart-milestones", title=_("Milestone deviation"), spec=spec, headers=[_("Milestone"), _("Deviation (%)")]
    )


@login_required
def group_dashboard(request):
    period = _period(request)
    data = selectors.group_dashboard(actor=request.user, period=period)
    return render(
        request,
        "dashboards/group.html",
        {
            "period": period,
            "period_choices": periods.CHOICES,
            "data": data,
            "totals": {"kpis": sections.rollup_kpis([r["kpis"] for r in data["rows"]])},
            "rollups": [(_("By city"), _("City"), data["cities"]), (_("By city company"), _("City company"), data["companies"])],
            "group_charts": _group_charts(data, period),
        },
    )


def _group_charts(data: dict, period) -> list[dict]:
    """Side-by-side charts of the projects: each KPI per project, and the schedule picture."""
    rows = data["rows"]
    if not rows:
        return []
    names = [r["project"]["name"] for r in rows]
    links = [f"{reverse('dashboards:project-dashboard', args=[r['project']['code']])}?period={period.key}" for r in rows]
    out = []
    heads = data["kpi_heads"]
    if heads:
        series = [
            {"name": h["label"], "data": [next((k["value"] for k in r["kpis"] if k["key"] == h["key"]), None) for r in rows]}
            for h in heads
        ]
        out.append(
            charts.block(
                id="chart-group-kpis",
                title=_("KPIs by project"),
                headers=[_("Project"), *[h["label"] for h in heads]],
                spec=charts.chart(kind="bar", categories=names, series=series, links=links, unit="%"),
            )
        )
    out.append(
        charts.block(
            id="chart-group-schedule",
            title=_("Handovers and schedule"),
            headers=[_("Project"), _("Handovers in the next 30 days"), _("Abnormal milestones")],
            spec=charts.chart(
                kind="bar",
                categories=names,
                links=links,
                series=[
                    {"name": _("Handovers in the next 30 days"), "data": [r["portfolio"]["handovers_due"] for r in rows]},
                    {"name": _("Abnormal milestones"), "data": [r["abnormal_milestones"] for r in rows]},
                ],
            ),
        )
    )
    return out


@login_required
def group_export(request):
    """The group table as Excel (counts only; nothing personal)."""
    period = _period(request)
    data = selectors.group_dashboard(actor=request.user, period=period)
    heads = data["kpi_heads"]
    headers = [
        _("Rank"),
        _("Project"),
        _("Code"),
        _("City"),
        _("City company"),
        _("Units"),
        _("Active contracts"),
        _("Owners"),
        _("Handovers in the next 30 days"),
        _("Abnormal milestones"),
        _("KPIs below target"),
        _("Overdue items"),
        *[h["label"] for h in heads],
    ]
    rows = []
    for i, r in enumerate(data["rows"], start=1):
        by_key = {k["key"]: k["value"] for k in r["kpis"]}
        p = r["portfolio"]
        rows.append(
            [
                i,
                r["project"]["name"],
                r["project"]["code"],
                r["project"]["city"],
                r["project"]["company"],
                p["units"],
                p["contracts"],
                p["customers"],
                p["handovers_due"],
                r["abnormal_milestones"],
                r["failed"],
                r["overdue"],
                *[by_key.get(h["key"]) for h in heads],
            ]
        )
    book = Workbook()
    exports.add_sheet(book, first=True, title=_("Projects"), headers=headers, rows=rows)
    for title, groups in ((_("Cities"), data["cities"]), (_("City companies"), data["companies"])):
        exports.add_sheet(
            book,
            title=title,
            headers=[_("Name"), _("Projects"), _("Units"), _("Active contracts"), _("KPIs below target")],
            rows=[
                [g["name"], g["projects"], g["portfolio"].get("units", 0), g["portfolio"].get("contracts", 0), g["failed"]]
                for g in groups
            ],
        )
    name = f"group-dashboard-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    return exports.xlsx_response(exports.workbook_bytes(book), name)


# --- scorecard ----------------------------------------------------------------------------------


def _live_kpis(request, project, month) -> dict:
    period = periods.month_period(month)
    data = selectors.project_dashboard(actor=request.user, project=project, period=period)
    live = {k["key"]: k["value"] for k in data["kpis"] if k["value"] is not None}
    for section in data["sections"]:  # figures a section offers the scorecard beside its KPIs
        live.update({key: value for key, value in section.get("live", {}).items() if value is not None})
    return live


@login_required
def scorecard_view(request, code):
    project = selectors.dashboard_project_get(actor=request.user, code=code)
    month = _month(request)
    cards = scorecard.scorecard_get(project=project, month=month, live_kpis=_live_kpis(request, project, month))
    return render(
        request,
        "dashboards/scorecard.html",
        {
            "project": project,
            "month": month,
            "perspectives": cards,
            "empty": not any(p["objectives"] for p in cards),
            "can_manage": scorecard.can_manage_scorecard(request.user),
            "months": _recent_months(12),
            "history": [{"e": e, "change": audit.change_text(e)} for e in audit.history(project_id=project.pk)],
        },
    )


def _recent_months(n: int) -> list[dt.date]:
    month, out = periods.month_start(timezone.localdate()), []
    for _i in range(n):
        out.append(month)
        month = periods.previous_month(month)
    return out


def _require_manager(request):
    if not scorecard.can_manage_scorecard(request.user):
        raise PermissionDenied


@login_required
def scorecard_edit(request, code):
    project = selectors.dashboard_project_get(actor=request.user, code=code)
    _require_manager(request)
    month = _month(request)
    measures = scorecard.scorecard_measures(project=project)
    manual = [m for m in measures if not m.kpi_key]
    current = scorecard.scorecard_manual_actuals(measures=manual, month=month)
    measure_form, actuals_form = MeasureForm(prefix="new"), ActualsForm(prefix="a", measures=manual, initial_values=current)
    if request.method == "POST":
        if "add_measure" in request.POST:
            measure_form = MeasureForm(request.POST, prefix="new")
            if measure_form.is_valid():
                try:
                    scorecard.scorecard_measure_save(project=project, actor=request.user, **measure_form.cleaned_data)
                except ValueError:
                    measure_form.add_error("name", _("This objective already has a measure with that name."))
                else:
                    messages.success(request, _("Measure added."))
                    return redirect(f"{request.path}?month={month:%Y-%m}")
        else:
            actuals_form = ActualsForm(request.POST, prefix="a", measures=manual, initial_values=current)
            if actuals_form.is_valid():
                scorecard.scorecard_actuals_record(project=project, actor=request.user, month=month, values=actuals_form.values())
                messages.success(request, _("Actuals saved."))
                return redirect(f"{reverse('dashboards:scorecard', args=[project.code])}?month={month:%Y-%m}")
    return render(
        request,
        "dashboards/scorecard_edit.html",
        {
            "project": project,
            "month": month,
            "measures": measures,
            "measure_form": measure_form,
            "actuals_form": actuals_form,
        },
    )


@login_required
@require_POST
def scorecard_seed(request, code):
    project = selectors.dashboard_project_get(actor=request.user, code=code)
    _require_manager(request)
    created = scorecard.scorecard_seed_defaults(project=project, actor=request.user)
    messages.success(request, _("%(n)d measures added from the standard scorecard.") % {"n": created})
    return redirect("dashboards:scorecard", code=project.code)


@login_required
@require_POST
def scorecard_measure_delete(request, code, pk):
    project = selectors.dashboard_project_get(actor=request.user, code=code)
    _require_manager(request)
    measure = scorecard.scorecard_measure_get(project=project, pk=pk)
    scorecard.scorecard_measure_delete(measure=measure, actor=request.user)
    messages.success(request, _("Measure deleted."))
    return redirect("dashboards:scorecard-edit", code=project.code)


# --- monthly reports ----------------------------------------------------------------------------


@login_required
def report_list(request, code):
    project = selectors.dashboard_project_get(actor=request.user, code=code)
    return render(
        request,
        "dashboards/report_list.html",
        {
            "project": project,
            "reports": reports.monthly_report_list(actor=request.user, project=project),
            "can_build": scorecard.can_manage_scorecard(request.user),
            "last_month": periods.previous_month(timezone.localdate()),
            "weekly_url": sections.url("complaints:reports"),  # the complaints app's weekly report, once merged
        },
    )


@login_required
@require_POST
def report_build(request, code):
    """Queue last month's report for this project on the worker (a repeat is harmless)."""
    from crm_site.tasks import monthly_report_build

    project = selectors.dashboard_project_get(actor=request.user, code=code)
    _require_manager(request)
    month = periods.previous_month(timezone.localdate())
    reports.monthly_report_request(project=project, actor=request.user, month=month)
    transaction.on_commit(partial(monthly_report_build.delay, project_id=project.pk, month=month.isoformat()))
    messages.success(
        request, _("The report for %(month)s is being built; it appears here in a minute.") % {"month": f"{month:%Y-%m}"}
    )
    return redirect("dashboards:report-list", code=project.code)


def _report(request, code, month):
    project = selectors.dashboard_project_get(actor=request.user, code=code)
    try:
        day = dt.datetime.strptime(month, "%Y-%m").date()  # noqa: DTZ007
    except ValueError:
        raise Http404 from None
    return project, reports.monthly_report_get(actor=request.user, project=project, month=day)


@login_required
def report_detail(request, code, month):
    project, report = _report(request, code, month)
    return render(request, "dashboards/report_detail.html", {"project": project, "report": report, "data": report.data})


@login_required
def report_xlsx(request, code, month):
    project, report = _report(request, code, month)
    return exports.xlsx_response(reports.monthly_report_xlsx(report), f"cr-report-{project.code}-{month}.xlsx")
