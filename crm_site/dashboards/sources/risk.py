"""Risk control on the dashboards, from ``risk_project_summary`` (grouped by project already)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from .. import charts
from ..periods import Period
from ..sections import app_selectors, url

KEY = "risk"


def _sel():
    return app_selectors("risk", "risk_project_summary")


class RiskSection:
    key = KEY
    title = _("Risk control")

    def available(self) -> bool:
        return _sel() is not None

    def per_project(self, *, actor, projects, period: Period, today: dt.date) -> dict:
        summary = _sel().risk_project_summary(actor=actor, projects=list(projects), today=today)
        return {
            p.pk: {"kpis": [], "overdue": summary.get(p.pk, {}).get("overdue", 0), "counts": summary.get(p.pk, {})}
            for p in projects
        }

    def project_detail(self, *, actor, project, period: Period, today: dt.date) -> dict:
        s = _sel().risk_project_summary(actor=actor, projects=[project], today=today).get(project.pk) or {
            "open_high": 0,
            "open_medium": 0,
            "open_low": 0,
            "open_total": 0,
            "overdue": 0,
            "undisclosed_factors": 0,
            "latest_review": None,
            "sign_off": "none",
        }
        code = project.code

        def items(**params):
            return url("risk:item-list", project=code, status="active", **params)

        review = s["latest_review"]
        signed = s["sign_off"] == "signed_off"
        sign_label = _("Signed off") if signed else (_("Not signed off") if review else _("No review yet"))
        levels = [("high", _("High")), ("medium", _("Medium")), ("low", _("Low"))]
        return {
            "key": KEY,
            "title": self.title,
            "link": url("risk:project-detail", code),
            "kpis": [],
            "figures": [
                {
                    "key": "open_high",
                    "value": s["open_high"],
                    "label": _("High risks open"),
                    "url": items(level="high"),
                    "tone": "bad" if s["open_high"] else "ok",
                },
                {"key": "open", "value": s["open_total"], "label": _("Risk items open"), "url": items()},
                {
                    "key": "overdue",
                    "value": s["overdue"],
                    "label": _("Risk items overdue"),
                    "url": items(overdue="1"),
                    "tone": "bad" if s["overdue"] else "ok",
                },
                {
                    "key": "undisclosed",
                    "value": s["undisclosed_factors"],
                    "label": _("Undisclosed adverse factors"),
                    "url": url("risk:project-detail", code),
                    "tone": "bad" if s["undisclosed_factors"] else "ok",
                },
                {
                    "key": "sign_off",
                    "value": sign_label,
                    "label": _("General-manager sign-off"),
                    "url": url("risk:review-detail", review["pk"]) if review else url("risk:project-detail", code),
                    "tone": "ok" if signed else "warn",
                },
            ],
            "charts": [
                charts.block(
                    id="chart-risk-levels",
                    title=_("Open risk items by level"),
                    headers=[_("Level"), _("Items")],
                    spec=charts.chart(
                        kind="bar",
                        categories=[label for _v, label in levels],
                        links=[items(level=v) for v, _l in levels],
                        series=[{"name": _("Items"), "data": [s[f"open_{v}"] for v, _l in levels]}],
                    ),
                ),
            ],
            "tables": [],
        }


SECTION = RiskSection()
