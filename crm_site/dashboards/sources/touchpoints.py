"""Touchpoints and segments on the dashboards: A-point coverage of each project's current stage
(``project_a_coverage``) and the buyers' segment mix (``segment_shares``)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from .. import charts
from ..periods import Period
from ..sections import app_selectors, kpi, url

KEY = "touchpoints"


def _sel():
    return app_selectors("touchpoints", "project_a_coverage")


def _coverage_kpi(fig: dict, code: str | None) -> dict:
    applicable = fig["total"] - fig.get("not_applicable", 0)
    return kpi(
        key="touchpoint_coverage",
        label=_("A-point coverage"),
        num=fig.get("met", 0),
        den=max(applicable, 0),
        target=100,
        op="gte",
        url_=url("touchpoints:project-checks", code) if code else None,
    )


class TouchpointsSection:
    key = KEY
    title = _("Touchpoints and segments")

    def available(self) -> bool:
        return _sel() is not None

    def per_project(self, *, actor, projects, period: Period, today: dt.date) -> dict:
        cov = _sel().project_a_coverage(projects=list(projects))
        return {p.pk: {"kpis": [_coverage_kpi(cov[p.pk], p.code)], "overdue": 0, "counts": cov[p.pk]} for p in projects}

    def project_detail(self, *, actor, project, period: Period, today: dt.date) -> dict:
        fig = _sel().project_a_coverage(projects=[project])[project.pk]
        checks = url("touchpoints:project-checks", project.code)
        section = {
            "key": KEY,
            "title": self.title,
            "link": checks,
            "kpis": [_coverage_kpi(fig, project.code)],
            "figures": [
                {"key": "a_total", "value": fig["total"], "label": _("A points of the current stage"), "url": checks},
                {"key": "a_met", "value": fig.get("met", 0), "label": _("A points met"), "url": checks, "tone": "ok"},
                {
                    "key": "a_issue",
                    "value": fig.get("issue", 0),
                    "label": _("A points with an issue"),
                    "url": checks,
                    "tone": "bad" if fig.get("issue") else "plain",
                },
                {
                    "key": "a_unchecked",
                    "value": max(fig["total"] - fig.get("met", 0) - fig.get("issue", 0) - fig.get("not_applicable", 0), 0),
                    "label": _("A points not checked yet"),
                    "url": checks,
                },
            ],
            "charts": [],
            "tables": [],
        }
        seg = app_selectors("segments", "segment_shares")
        if seg is not None:
            shares = seg.segment_shares(actor=actor, project=project)
            rows = shares["rows"]
            if shares["total"]:
                section["charts"].append(
                    charts.block(
                        id="chart-segments",
                        title=_("Buyers by customer segment"),
                        headers=[_("Segment"), _("Share (%)"), _("Seed reference (%)")],
                        spec=charts.chart(
                            kind="hbar",
                            categories=[r["segment"].name for r in rows],
                            unit="%",
                            series=[
                                {
                                    "name": _("Share (%)"),
                                    "data": [None if r["share"] is None else round(r["share"] * 100, 1) for r in rows],
                                },
                                {
                                    "name": _("Seed reference (%)"),
                                    "data": [
                                        None if r["reference_share"] is None else round(r["reference_share"] * 100, 1)
                                        for r in rows
                                    ],
                                },
                            ],
                            links=[url("segments:index")] * len(rows),
                        ),
                    )
                )
        return section


SECTION = TouchpointsSection()
