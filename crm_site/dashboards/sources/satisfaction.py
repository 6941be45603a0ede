"""Satisfaction surveys on the dashboards: ``satisfaction_project_summary`` for the group page,
``headline`` and ``scores`` (by wave, by segment) for the project page, for the chosen period."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from .. import charts
from ..periods import Period
from ..sections import app_selectors, kpi, url

KEY = "satisfaction"


def _sel():
    return app_selectors("satisfaction", "satisfaction_project_summary", "scores", "headline")


def _pct(value):
    return None if value is None else round(float(value) * 100, 1)


def _kpis(*, responses: int, share_satisfied, sent: int, code: str | None) -> list[dict]:
    """Survey satisfaction (> 80 %) and response rate. The satisfied count is the share times the
    responses, so a roll-up across projects weights each project by its responses."""
    satisfied = round(float(share_satisfied) * responses) if share_satisfied is not None else 0
    link = url("satisfaction:index", project=code)
    return [
        kpi(
            key="survey_satisfaction",
            label=_("Survey satisfaction"),
            num=satisfied,
            den=responses if share_satisfied is not None else 0,
            target=80,
            op="gt",
            url_=link,
        ),
        kpi(
            key="survey_response",
            label=_("Survey response rate"),
            num=responses,
            den=sent,
            target=50,
            op="gte",
            url_=url("satisfaction:invitation-list", project=code),
        ),
    ]


class SatisfactionSection:
    key = KEY
    title = _("Satisfaction surveys")

    def available(self) -> bool:
        return _sel() is not None

    def per_project(self, *, actor, projects, period: Period, today: dt.date) -> dict:
        summary = _sel().satisfaction_project_summary(actor=actor, projects=list(projects))
        out = {}
        for p in projects:
            s = summary.get(p.pk) or {"responses": 0, "sent": 0, "share_satisfied": None, "open_follow_ups": 0}
            out[p.pk] = {
                "kpis": _kpis(responses=s["responses"], share_satisfied=s["share_satisfied"], sent=s["sent"] or 0, code=p.code),
                "overdue": 0,
                "counts": s,
            }
        return out

    def project_detail(self, *, actor, project, period: Period, today: dt.date) -> dict:
        sel = _sel()
        code = project.code
        if hasattr(sel, "dashboard_scores"):  # three queries instead of nine
            found = sel.dashboard_scores(actor=actor, project=project, date_from=period.start, date_to=period.end)
            head, waves, segments = found["headline"], found["waves"], found["segments"]
        else:
            head = sel.headline(actor=actor, project=project, date_from=period.start, date_to=period.end)
            waves = sel.scores(actor=actor, group_by="wave", project=project, date_from=period.start, date_to=period.end)
            segments = sel.scores(actor=actor, group_by="segment", project=project, date_from=period.start, date_to=period.end)
        wave_rows = [w for w in waves if w.responses or w.sent]
        section = {
            "key": KEY,
            "title": self.title,
            "link": url("satisfaction:index", project=code),
            "kpis": _kpis(responses=head.responses, share_satisfied=head.share_satisfied, sent=head.sent or 0, code=code),
            "live": {"survey_recommend": head.recommend_score},
            "figures": [
                {
                    "key": "responses",
                    "value": head.responses,
                    "label": _("Responses in the period"),
                    "url": url("satisfaction:index", project=code),
                },
                {
                    "key": "index",
                    "value": "—" if head.satisfaction_index is None else head.satisfaction_index,
                    "label": _("Satisfaction index (0–100)"),
                },
                {
                    "key": "recommend",
                    "value": "—" if head.recommend_score is None else head.recommend_score,
                    "label": _("Recommend score (−100…100)"),
                },
            ],
            "charts": [],
            "tables": [
                {
                    "title": _("Results by survey wave"),
                    "numeric": [1, 2, 3, 4, 5],
                    "headers": [
                        _("Wave"),
                        _("Sent"),
                        _("Responses"),
                        _("Response rate (%)"),
                        _("Satisfied (%)"),
                        _("Recommend score"),
                    ],
                    "rows": [
                        {
                            "cells": [
                                str(w.label),
                                w.sent,
                                w.responses,
                                _pct(w.response_rate),
                                _pct(w.share_satisfied),
                                w.recommend_score,
                            ],
                            "link": url("satisfaction:invitation-list", project=code, wave=w.key),
                        }
                        for w in wave_rows
                    ],
                    "empty": _("No survey in this period."),
                }
            ],
        }
        if wave_rows:
            section["charts"].append(
                charts.block(
                    id="chart-survey-waves",
                    title=_("Satisfied share by survey wave"),
                    headers=[_("Wave"), _("Satisfied (%)")],
                    spec=charts.chart(
                        kind="bar",
                        categories=[w.label for w in wave_rows],
                        unit="%",
                        target=80,
                        series=[{"name": _("Satisfied (%)"), "data": [_pct(w.share_satisfied) for w in wave_rows]}],
                    ),
                )
            )
        seg_rows = [s for s in segments if s.responses]
        if seg_rows:
            section["charts"].append(
                charts.block(
                    id="chart-survey-segments",
                    title=_("Satisfied share by customer segment"),
                    headers=[_("Segment"), _("Satisfied (%)")],
                    spec=charts.chart(
                        kind="hbar",
                        categories=[str(s.label) for s in seg_rows],
                        unit="%",
                        target=80,
                        series=[{"name": _("Satisfied (%)"), "data": [_pct(s.share_satisfied) for s in seg_rows]}],
                    ),
                )
            )
        return section


SECTION = SatisfactionSection()
