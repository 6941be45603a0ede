"""Complaints on the dashboards.

Period figures (the four KPIs' counts, by category, by severity, by week, and the group page's
per-project counts and heat map) come from the complaints app's daily rollup
(``complaints.rollups.complaint_day_counts``): settled days from ``ComplaintDayCount``, days
changed since the worker's last refresh counted live from the rows — exact, and two queries
whatever the period or number of projects (docs/dashboards.md). The numerators and denominators
are those of ``complaint_kpis`` (its docstring); a test holds the two to the same numbers.
What is open *now* comes from the complaints app's open tally on the group page (``_open_tally``)
and from one query over the project's open rows on its own page (``_open_counts``); the overdue table and
the group-complaint warnings from the app's own list selectors.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce

from django.db import connection
from django.db.models import Case, CharField, Count, F, IntegerField, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates.access import project_ids_for

from .. import charts, rules
from ..periods import Period, week_starts
from ..sections import app_selectors, kpi, url

KEY = "complaints"
# (KPI key, label, target %, comparison) — the developer's own targets (DOMAIN.md §2).
KPIS = [
    ("complaint_satisfaction", _("Handling satisfaction"), 80, "gt"),
    ("complaint_on_time", _("Handled on time"), 90, "gte"),
    ("complaint_closure", _("Closure"), 100, "gte"),
    ("complaint_revisit", _("Follow-up visits"), 100, "gte"),
]
HEAT_LEVELS = (0, 1, 5, 20, 50, 100)  # cell shading thresholds of the heat map
OVERDUE_ROWS = 10
TREND_WINDOW = 4  # weeks pooled into each point of the trend


def _sel():
    return app_selectors("complaints", "overdue_q", "complaint_list")


COUNT_KEYS = ("filed", "closed", "resolved", "on_time", "revisited", "revisits", "satisfied")


def _day_counts(actor, project_ids: list[int], period: Period, group_by) -> list[dict]:
    """The complaints app's daily rollup (exact: settled days from the rollup, changed days live)
    for the actor's projects among ``project_ids``."""
    from complaints.rollups import complaint_day_counts

    allowed = project_ids_for(actor)
    ids = [pid for pid in project_ids if allowed is None or pid in allowed]
    return complaint_day_counts(project_ids=ids, start=period.start, end=period.end, group_by=group_by)


def _models():
    from complaints import models

    return models


class ComplaintsSection:
    key = KEY
    title = _("Complaints")

    def available(self) -> bool:
        return _sel() is not None

    # --- links to the inbox (the list behind every number) ---------------------------------------
    @staticmethod
    def link(project_code: str | None, period: Period | None = None, *, on: str = "filed", **params) -> str | None:
        """The inbox filtered by its own form's keys (project code, status, open, escalated,
        severity as a number, category, overdue), so that its total equals the figure it opens.

        ``period`` adds an inclusive date range on ``on``: ``filed`` (created_at), ``resolved``
        (resolved_at) or ``revisited`` (a follow-up call made in the period)."""
        if period is not None:
            params = {f"{on}_from": period.start.isoformat(), f"{on}_to": period.end.isoformat(), **params}
        return url("complaints:inbox", project=project_code, **params)

    def _kpis(self, counts: dict, code: str | None, period: Period) -> list[dict]:
        """KPI dicts from the counts; numerators and denominators as in ``complaint_kpis``.

        Each KPI opens the list behind its base (the denominator): complaints with a follow-up call
        in the period (satisfaction; the base counts calls, so a complaint called twice in the
        period counts twice there), resolved in the period (on time, revisit), filed in the period
        (closure)."""
        pairs = {
            "complaint_satisfaction": (counts["satisfied"], counts["revisits"], self.link(code, period, on="revisited")),
            "complaint_on_time": (counts["on_time"], counts["resolved"], self.link(code, period, on="resolved")),
            "complaint_closure": (counts["closed"], counts["filed"], self.link(code, period)),
            "complaint_revisit": (counts["revisited"], counts["resolved"], self.link(code, period, on="resolved")),
        }
        return [
            kpi(key=k, label=label, num=pairs[k][0], den=pairs[k][1], target=target, op=op, url_=pairs[k][2])
            for k, label, target, op in KPIS
        ]

    # --- group page: every project at once --------------------------------------------------------
    def per_project(self, *, actor, projects, period: Period, today: dt.date) -> dict:
        project_ids, codes = [p.pk for p in projects], {p.pk: p.code for p in projects}
        m = _models()
        now = timezone.now()
        blank = {
            "filed": 0,
            "closed": 0,
            "resolved": 0,
            "on_time": 0,
            "revisited": 0,
            "revisits": 0,
            "satisfied": 0,
            "open": 0,
            "overdue": 0,
            "escalated": 0,
            "major": 0,
        }
        counts = {pid: dict(blank) for pid in project_ids}
        by_category = {pid: dict.fromkeys(m.Category.values, 0) for pid in project_ids}
        for row in _day_counts(actor, project_ids, period, ("project", "category")):
            c = counts[row["project"]]
            for key in COUNT_KEYS:
                c[key] += row[key]
            by_category[row["project"]][row["category"]] += row["filed"]
        for pid, row in self._open_tally(project_ids, now).items():
            counts[pid].update(row)
        return {
            pid: {
                "kpis": self._kpis(counts[pid], codes.get(pid), period),
                "overdue": counts[pid]["overdue"],
                "counts": counts[pid],
                "by_category": dict(by_category[pid]),
                "category_links": {cat: self.link(codes.get(pid), period, category=cat) for cat in m.Category.values},
            }
            for pid in project_ids
        }

    def heatmap(self, figures: dict, projects) -> dict:
        """Projects × categories, filed in the period; each cell links to the filtered inbox."""
        m = _models()
        columns = [(value, label) for value, label in m.Category.choices]
        peak = max((figures[p.pk]["by_category"].get(c, 0) for p in projects for c, _l in columns), default=0)
        rows = []
        for p in projects:
            cells = []
            for value, _label in columns:
                n = figures[p.pk]["by_category"].get(value, 0)
                level = 0 if not n else min(5, 1 + int(4 * n / peak)) if peak else 0
                link = figures[p.pk].get("category_links", {}).get(value) or self.link(p.code, None, category=value)
                cells.append({"value": n, "level": level, "url": link})
            rows.append({"label": p.name, "cells": cells, "total": sum(c["value"] for c in cells)})
        rows.sort(key=lambda r: -r["total"])
        return {"title": _("Complaints by project and category"), "columns": [label for _v, label in columns], "rows": rows}

    def _open_tally(self, project_ids: list[int], now) -> dict[int, dict]:
        """Open, overdue, escalated and major complaints now, by project, from the complaints
        app's open tally (``complaints.open_tally``: trigger-kept sums plus a live count of what
        fell due today — exact, one query, a few rows per project whatever the open backlog)."""
        from complaints.open_tally import open_counts

        m = _models()
        out = {pid: {"open": 0, "overdue": 0, "escalated": 0, "major": 0} for pid in project_ids}
        for row in open_counts(project_ids, now=now):
            o = out[row["project_id"]]
            o["open"] += row["n"]
            o["overdue"] += row["overdue"]
            o["escalated"] += row["n"] if row["escalated"] else 0
            o["major"] += row["n"] if row["severity"] == m.Severity.MAJOR else 0
        return out

    def _open_counts(self, project_ids: list[int], now, *, tiers: bool = False) -> dict[int, dict]:
        """Open complaints now, by project: status, overdue, escalated, major and hot — one query.

        Only open rows are read, from a partial index that covers every column counted
        (``complaint_open_counts``: an index-only scan), not the project's whole history. With
        ``tiers``, the same round trip (UNION ALL) also counts major and hot complaints of every
        status (``tiers``: {severity: n}) from the (project, severity) index, index-only too.
        """
        m, sel = _models(), _sel()
        zero = Value(0, output_field=IntegerField())
        out = {
            pid: {"open": 0, "overdue": 0, "escalated": 0, "major": 0, "hot": 0, "by_status": {}, "tiers": {}}
            for pid in project_ids
        }
        complaints = m.Complaint.objects.filter(project_id__in=project_ids).order_by()
        rows = (
            complaints.filter(status__in=m.Complaint.OPEN_STATUSES)
            .annotate(key=F("status"))
            .values("project_id", "key")
            .annotate(
                n=Count("*"),
                overdue=Count("pk", filter=sel.overdue_q(now)),
                escalated=Count("pk", filter=Q(escalation_level__gt=0)),
                major=Count("pk", filter=Q(severity=m.Severity.MAJOR)),
                hot=Count("pk", filter=Q(severity=m.Severity.HOT)),
                tier=zero,
            )
        )
        if tiers:
            # Major and hot complaints of every age, as the inbox lists them for ?severity= (it has
            # no "open" filter, so a count of open ones would not match the list it opens).
            rows = rows.union(
                complaints.filter(severity__gte=m.Severity.HOT)
                .annotate(key=Cast("severity", CharField()))
                .values("project_id", "key")
                .annotate(n=Count("*"), overdue=zero, escalated=zero, major=zero, hot=zero, tier=Value(1)),
                all=True,
            )
        for row in rows:
            o = out[row["project_id"]]
            if row["tier"]:
                o["tiers"][int(row["key"])] = row["n"]
                continue
            o["open"] += row["n"]
            o["by_status"][row["key"]] = row["n"]
            for key in ("overdue", "escalated", "major", "hot"):
                o[key] += row[key]
        return out

    # --- project page -------------------------------------------------------------------------------
    def project_detail(self, *, actor, project, period: Period, today: dt.date) -> dict:
        m, sel = _models(), _sel()
        code = project.code
        now = timezone.now()
        k = self._period_counts(actor, project, period)
        summary = self._open_counts([project.pk], now, tiers=True)[project.pk]
        tiers = summary["tiers"]
        c = k["counts"]
        counts = {
            "satisfied": c["satisfied"],
            "revisits": c["revisits"],
            "on_time": c["on_time"],
            "resolved": c["resolved"],
            "closed": c["closed"],
            "filed": c["filed"],
            "revisited": c["revisited"],
        }
        cat_labels, sev_labels = dict(m.Category.choices), {m.SEVERITY_CODES[s]: s.label for s in m.Severity}
        sev_order = [m.SEVERITY_CODES[s] for s in sorted(m.Severity, reverse=True)]
        categories = sorted(k["by_category"].items(), key=lambda kv: -kv[1]["filed"])
        figures = [
            {"value": c["filed"], "key": "filed", "label": _("Filed in the period"), "url": self.link(code, period)},
            {"value": summary["open"], "key": "open", "label": _("Open now"), "url": self.link(code, None, open="yes")},
            {
                "value": summary["overdue"],
                "key": "overdue",
                "label": _("Overdue now"),
                "url": self.link(code, None, overdue="yes"),
                "tone": "bad" if summary["overdue"] else "ok",
            },
            {
                "value": summary["escalated"],
                "key": "escalated",
                "label": _("Escalated"),
                "url": self.link(code, None, open="yes", escalated="yes"),
                "tone": "warn" if summary["escalated"] else "plain",
            },
            {
                "value": tiers.get(m.Severity.MAJOR, 0),
                "key": "major",
                "label": _("Major complaints"),
                "hint": _("%(n)d still open") % {"n": summary["major"]},
                "url": self.link(code, None, severity=int(m.Severity.MAJOR)),
                "hint_url": self.link(code, None, severity=int(m.Severity.MAJOR), open="yes"),
                "tone": "bad" if summary["major"] else "plain",
            },
            {
                "value": tiers.get(m.Severity.HOT, 0),
                "key": "hot",
                "label": _("Hot complaints"),
                "hint": _("%(n)d still open") % {"n": summary["hot"]},
                "url": self.link(code, None, severity=int(m.Severity.HOT)),
                "hint_url": self.link(code, None, severity=int(m.Severity.HOT), open="yes"),
                "tone": "warn" if summary["hot"] else "plain",
            },
        ]
        section = {
            "key": KEY,
            "title": self.title,
            "link": self.link(code, None),
            "kpis": self._kpis(counts, code, period),
            "figures": figures,
            "charts": [
                self._trend(k["by_week"], period),
                charts.block(
                    id="chart-complaint-categories",
                    title=_("Complaints by category"),
                    headers=[_("Category"), _("Filed"), _("Closed")],
                    spec=charts.chart(
                        kind="hbar",
                        categories=[cat_labels[v] for v, _b in categories],
                        links=[self.link(code, period, category=v) for v, _b in categories],
                        series=[
                            {"name": _("Filed"), "data": [b["filed"] for _v, b in categories]},
                            {"name": _("Closed"), "data": [b["closed"] for _v, b in categories]},
                        ],
                    ),
                ),
                charts.block(
                    id="chart-complaint-severity",
                    title=_("Complaints by severity"),
                    headers=[_("Severity"), _("Filed"), _("Closed")],
                    spec=charts.chart(
                        kind="bar",
                        categories=[sev_labels[s] for s in sev_order],
                        links=[self.link(code, period, severity=m.SEVERITY_BY_CODE[s]) for s in sev_order],
                        series=[
                            {"name": _("Filed"), "data": [k["by_severity"][s]["filed"] for s in sev_order]},
                            {"name": _("Closed"), "data": [k["by_severity"][s]["closed"] for s in sev_order]},
                        ],
                    ),
                ),
                self._open_by_status(summary, code),
            ],
            "tables": [
                self._overdue_table(actor, project, now, sel, sev_labels, m),
                self._clusters_table(actor, project, now, cat_labels),
            ],
        }
        return section

    def _open_by_status(self, summary, code):
        m = _models()
        statuses = [s for s in m.Complaint.Status if s in m.Complaint.OPEN_STATUSES]
        return charts.block(
            id="chart-complaint-open",
            title=_("Open complaints by status"),
            headers=[_("Status"), _("Complaints")],
            spec=charts.chart(
                kind="bar",
                categories=[s.label for s in statuses],
                links=[self.link(code, None, status=s.value) for s in statuses],
                series=[{"name": _("Complaints"), "data": [summary["by_status"].get(s.value, 0) for s in statuses]}],
            ),
        )

    def _period_counts(self, actor, project, period: Period) -> dict:
        """The period's counts of one project from the daily rollup (one call, two queries): totals,
        by category, by severity and by week — the numbers ``complaint_kpis`` gives, by definition."""
        m = _models()
        weeks = week_starts(period)
        blank = dict.fromkeys(COUNT_KEYS, 0)
        counts = dict(blank)
        by_category = {code: {"filed": 0, "closed": 0} for code in m.Category.values}
        by_severity = {code: {"filed": 0, "closed": 0} for code in m.SEVERITY_CODES.values()}
        by_week = {w: dict(blank) for w in weeks}
        for row in _day_counts(actor, [project.pk], period, ("day", "category", "severity")):
            week = by_week.setdefault(row["day"] - dt.timedelta(days=row["day"].weekday()), dict(blank))
            for key in COUNT_KEYS:
                counts[key] += row[key]
                week[key] += row[key]
            sev = m.SEVERITY_CODES[m.Severity(row["severity"])]
            for bucket in (by_category[row["category"]], by_severity[sev]):
                bucket["filed"] += row["filed"]
                bucket["closed"] += row["closed"]
        return {"counts": counts, "by_category": by_category, "by_severity": by_severity, "by_week": by_week}

    def _trend(self, per: dict, period: Period) -> dict:
        """The four KPIs week by week, from the period's weekly counts."""
        weeks = week_starts(period)
        series = []
        for key, label, _t, _op in KPIS:
            num, den = {
                "complaint_satisfaction": ("satisfied", "revisits"),
                "complaint_on_time": ("on_time", "resolved"),
                "complaint_closure": ("closed", "filed"),
                "complaint_revisit": ("revisited", "resolved"),
            }[key]
            # Each point pools the four weeks ending with it: a week of three complaints swings
            # from 0 to 100 %, which says nothing a manager can act on.
            data = []
            for i in range(len(weeks)):
                window = weeks[max(0, i - TREND_WINDOW + 1) : i + 1]
                data.append(rules.ratio(sum(per[w][num] for w in window), sum(per[w][den] for w in window)))
            series.append({"name": label, "data": data})
        series.append({"name": _("Filed"), "data": [per[w]["filed"] for w in weeks]})
        spec = charts.chart(kind="line", categories=[w.strftime("%m-%d") for w in weeks], series=series[:4], unit="%")
        block = charts.block(
            id="chart-complaint-trend",
            title=_("KPIs week by week (rolling four weeks)"),
            spec=spec,
            headers=[_("Week of"), *[s["name"] for s in series[:4]]],
        )
        block["filed"] = series[4]["data"]
        return block

    def _overdue_table(self, actor, project, now, sel, sev_labels, m) -> dict:
        rows = []
        # The due time that was missed first: an unanswered complaint past its first-response due
        # time counts from that; otherwise from its resolution due time. Ordered in the database.
        missed = Case(
            When(Q(status=m.Complaint.Status.RECEIVED, first_response_due__lt=now), then=F("first_response_due")),
            default=F("resolution_due"),
        )
        # The ten longest past due, picked without sorting every overdue row: the ten oldest
        # missed first responses and the ten oldest missed resolutions of the rest (each from the
        # open-complaints index), then the ten of those.
        open_rows = m.Complaint.objects.filter(project=project).order_by()
        unanswered = open_rows.filter(status=m.Complaint.Status.RECEIVED, first_response_due__lt=now)
        # The rest is late on resolution: running and past its resolution due time (in progress, or
        # received but not past its first-response due time) — one ordered (project, status,
        # resolution_due) index range each.
        late_q = Q(resolution_due__lt=now)
        in_progress = open_rows.filter(late_q, status=m.Complaint.Status.IN_PROGRESS)
        received = open_rows.filter(late_q, status=m.Complaint.Status.RECEIVED).exclude(first_response_due__lt=now)

        def first(qs, *order):
            return qs.order_by(*order, "pk").values("pk")[:OVERDUE_ROWS]

        overdue = (
            sel.complaint_list(actor=actor)
            .filter(project=project)
            .filter(
                _in_any(
                    first(unanswered, "first_response_due"),
                    first(in_progress, "resolution_due"),
                    first(received, "resolution_due"),
                )
            )
            .annotate(missed_due=missed)
            .order_by("missed_due", "pk")[:OVERDUE_ROWS]
        )
        for c in overdue:
            due = c.missed_due
            hours = int((now - due).total_seconds() // 3600) if due else 0
            rows.append(
                {
                    "cells": [
                        c.reference or f"#{c.pk}",
                        c.title,
                        sev_labels.get(m.SEVERITY_CODES[m.Severity(c.severity)]),
                        c.assignee.display_name if c.assignee_id else "—",
                        timezone.localtime(due).strftime("%m-%d %H:%M") if due else "—",
                        _past_due(hours),
                    ],
                    "link": url("complaints:detail", c.pk),
                    "tone": "bad" if hours >= 72 else "warn",
                }
            )
        return {
            "title": _("Overdue now, longest past due first"),
            "rows": rows,
            "headers": [_("Reference"), _("Title"), _("Severity"), _("Responsible"), _("Due"), _("Past due")],
            "numeric": [4, 5],
            "empty": _("Nothing overdue."),
        }

    def _clusters_table(self, actor, project, now, cat_labels) -> dict:
        """Group-complaint warnings: clusters of 3+ distinct complainants in the last 30 days."""
        sel = app_selectors("complaints", "cluster_list")
        rows = []
        if sel is not None:
            since = now - dt.timedelta(days=30)
            for cl in sel.cluster_list(actor=actor, min_complainants=3).filter(project=project, last_at__gte=since)[:10]:
                rows.append(
                    {
                        "cells": [
                            cat_labels.get(cl.category, cl.category),
                            cl.building.name if cl.building_id else "—",
                            cl.complainant_count,
                            timezone.localtime(cl.last_at).strftime("%Y-%m-%d"),
                        ],
                        "link": url("complaints:cluster", cl.pk),
                        "tone": "bad" if cl.complainant_count >= 10 else "warn",
                    }
                )
        return {
            "title": _("Group-complaint warnings (3 or more complainants in 30 days)"),
            "rows": rows,
            "headers": [_("Category"), _("Building"), _("Complainants"), _("Latest")],
            "numeric": [2],
            "empty": _("No group-complaint warning."),
        }


def _in_any(*subqueries) -> Q:
    """pk in any of the (sliced) subqueries: one ``IN (… UNION …)`` where the database allows
    LIMIT inside a compound query (PostgreSQL: a semi-join on the primary key), else ORed INs."""
    if connection.features.supports_slicing_ordering_in_compound:
        return Q(pk__in=subqueries[0].union(*subqueries[1:]))
    return reduce(operator.or_, (Q(pk__in=sq) for sq in subqueries))


def _past_due(hours: int) -> str:
    from django.utils.translation import gettext

    days, rest = divmod(max(hours, 0), 24)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": rest}
    return gettext("%(hours)d h") % {"hours": rest}


SECTION = ComplaintsSection()
