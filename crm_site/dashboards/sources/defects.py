"""Defects on the dashboards: the project page composes ``defect_project_summary``; the group page
needs every project at once, which the app has no selector for, so one grouped query over its
model gives open, chased, overdue and open grade-A counts per project."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .. import charts
from ..periods import Period
from ..sections import app_selectors, kpi, url

KEY = "defects"
AGE_LABELS = [_("Up to 30 days"), _("31–90 days"), _("Over 90 days")]


def _found_between(today: dt.date, low: int, high: int | None) -> dict:
    """The found-on dates of an age bucket (``low``..``high`` days old, inclusive) as list filters."""
    params = {"found_to": (today - dt.timedelta(days=low)).isoformat()}
    if high is not None:
        params["found_from"] = (today - dt.timedelta(days=high)).isoformat()
    return params


def _sel():
    return app_selectors("defects", "defect_project_summary", "overdue_q")


def _on_time_kpi(chased: int, overdue: int, code: str | None) -> dict:
    """Rectifications being chased that are not past their due date (target ≥ 90 %)."""
    return kpi(
        key="defect_on_time",
        label=_("Rectifications on time"),
        num=chased - overdue,
        den=chased,
        target=90,
        op="gte",
        # The base is every rectification being chased; the list of those is what the figure stands on.
        url_=url("defects:index", project=code, chased="true"),
    )


class DefectsSection:
    key = KEY
    title = _("Defects")

    def available(self) -> bool:
        return _sel() is not None

    def per_project(self, *, actor, projects, period: Period, today: dt.date) -> dict:
        from defects.models import Defect

        sel = _sel()
        ids = [p.pk for p in projects]
        out = {p.pk: {"open": 0, "chased": 0, "overdue": 0, "open_a": 0} for p in projects}
        # Every figure counts open defects only (chased and overdue ones are open), so the query reads
        # the open rows alone, from the partial index ``defect_open_project`` (index-only: counts of
        # ``project``, never null, not of the id, and filters on its columns only).
        rows = (
            Defect.objects.filter(~Q(status=Defect.Status.CLOSED), project_id__in=ids)
            .order_by()
            .values("project_id")
            .annotate(
                open=Count("*"),
                chased=Count("project", filter=Q(status__in=Defect.CHASED_STATUSES)),
                overdue=Count("project", filter=sel.overdue_q(today)),
                open_a=Count("project", filter=Q(grade="A")),
            )
        )
        for row in rows:
            out[row["project_id"]].update({k: row[k] for k in ("open", "chased", "overdue", "open_a")})
        return {
            p.pk: {
                "kpis": [_on_time_kpi(out[p.pk]["chased"], out[p.pk]["overdue"], p.code)],
                "overdue": out[p.pk]["overdue"],
                "counts": out[p.pk],
            }
            for p in projects
        }

    def project_detail(self, *, actor, project, period: Period, today: dt.date) -> dict:
        from defects.models import Defect
        from defects.rules import AGE_BUCKETS

        s = _sel().defect_project_summary(actor=actor, project=project, today=today)
        code = project.code

        def link(**params):
            return url("defects:index", project=code, **params)

        chased = sum(s["by_status"].get(st, 0) for st in Defect.CHASED_STATUSES)
        statuses = [st for st in Defect.Status if s["by_status"].get(st.value)]
        prevention = s.get("prevention") or {}
        return {
            "key": KEY,
            "title": self.title,
            "link": link(),
            "kpis": [_on_time_kpi(chased, s["overdue"], code)],
            "figures": [
                {"key": "open", "value": s["open"], "label": _("Open defects"), "url": link(open="true")},
                {
                    "key": "overdue",
                    "value": s["overdue"],
                    "label": _("Rectifications overdue"),
                    "url": link(overdue="true"),
                    "tone": "bad" if s["overdue"] else "ok",
                },
                {
                    "key": "grade_a",
                    "value": s["by_grade"]["A"],
                    "label": _("Grade A"),
                    "url": link(grade="A"),
                    "tone": "warn" if s["by_grade"]["A"] else "plain",
                },
                {"key": "grade_b", "value": s["by_grade"]["B"], "label": _("Grade B"), "url": link(grade="B")},
                {
                    "key": "ungraded",
                    "value": s["by_grade"]["ungraded"],
                    "label": _("Awaiting review"),
                    "url": link(graded="false"),
                },
                {
                    "key": "prevention_open",
                    "value": prevention.get("open", 0),
                    "label": _("Prevention items open"),
                    "url": url("defects:prevention", code),
                },
            ],
            "charts": [
                charts.block(
                    id="chart-defect-status",
                    title=_("Defects by status"),
                    headers=[_("Status"), _("Defects")],
                    spec=charts.chart(
                        kind="hbar",
                        categories=[st.label for st in statuses],
                        links=[link(status=st.value) for st in statuses],
                        series=[{"name": _("Defects"), "data": [s["by_status"][st.value] for st in statuses]}],
                    ),
                ),
                charts.block(
                    id="chart-defect-age",
                    title=_("Open defects by age"),
                    headers=[_("Age"), _("Defects")],
                    spec=charts.chart(
                        kind="bar",
                        categories=AGE_LABELS,
                        links=[link(open="true", **_found_between(today, low, high)) for low, high in AGE_BUCKETS],
                        series=[{"name": _("Defects"), "data": list(s["by_age"])}],
                    ),
                ),
            ],
            "tables": [],
        }


SECTION = DefectsSection()
