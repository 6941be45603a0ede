"""Scoped, cached composition of the dashboards. Views call these and nothing else.

Every figure is aggregated in the database with one grouped query per source, so a page costs
the same number of queries for one project as for fifty (tests/dashboards assert it).

Caching: the finished figures are cached for ``CACHE_SECONDS`` under a key made of the actor's
project scope, the project, the period and the language. The feature apps write their rows
without telling crm_site (no app may depend on it), so there is no write hook to invalidate on;
a short TTL bounds staleness at one minute instead. Scorecard and report writes, which happen
here, delete the keys they affect (``invalidate_project``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone, translation

from estates.access import get_in_scope_or_404, project_ids_for, scope_to_actor
from estates.models import Project

from . import sections
from .periods import Period

CACHE_SECONDS = 60
_VERSION_KEY = "dash:v:{pid}"


def dashboard_projects(*, actor) -> QuerySet[Project]:
    """The projects the actor may see, in the order the pages list them."""
    return scope_to_actor(Project.objects.all(), actor, project_field="pk").order_by("city", "code")


def dashboard_project_get(*, actor, code: str) -> Project:
    """One project in scope; a project outside it is a 404, exactly like a missing one."""
    return get_in_scope_or_404(Project.objects.all(), actor, project_field="pk", code=code)


def _scope_key(actor) -> str:
    ids = project_ids_for(actor)
    if ids is None:
        return "all"
    return hashlib.sha1(",".join(map(str, sorted(ids))).encode(), usedforsecurity=False).hexdigest()[:16]


def _version(pid) -> int:
    return cache.get_or_set(_VERSION_KEY.format(pid=pid), 1, None)


def invalidate_project(project_id: int) -> None:
    """Make every cached figure of this project (and every group page) stale at once."""
    for pid in (project_id, "group"):
        try:
            cache.incr(_VERSION_KEY.format(pid=pid))
        except ValueError:
            cache.set(_VERSION_KEY.format(pid=pid), 2, None)


def _cached(key: str, build):
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, CACHE_SECONDS)
    return data


# --- project dashboard --------------------------------------------------------------------------


def project_dashboard(*, actor, project: Project, period: Period) -> dict:
    """All figures of one project's dashboard for ``period`` (the actor's access already checked)."""
    key = f"dash:p:{_scope_key(actor)}:{project.pk}:{_version(project.pk)}:{period.key}:{period.end}:{translation.get_language()}"
    return _cached(key, lambda: project_dashboard_build(actor=actor, project=project, period=period))


def project_dashboard_build(*, actor, project: Project, period: Period, today: dt.date | None = None) -> dict:
    """Build one project's figures; ``actor`` is handed to the apps' selectors, which scope by it."""
    today = today or timezone.localdate()
    pids = [project.pk]
    data = {
        "portfolio": sections.portfolio(pids, period, today=today)[project.pk],
        "milestones": sections.milestones(pids, today=today)[project.pk],
        "sections": [],
        "missing": [str(s.title) for s in sections.missing_sections()],
    }
    for section in sections.feature_sections():
        data["sections"].append(section.project_detail(actor=actor, project=project, period=period, today=today))
    data["kpis"] = [k for s in data["sections"] for k in s.get("kpis", [])]
    return data


# --- group dashboard ----------------------------------------------------------------------------


def group_dashboard(*, actor, period: Period) -> dict:
    key = f"dash:g:{_scope_key(actor)}:{_version('group')}:{period.key}:{period.end}:{translation.get_language()}"
    return _cached(key, lambda: group_dashboard_build(actor=actor, projects=list(dashboard_projects(actor=actor)), period=period))


def _rank_key(row: dict):
    """Worst first: most KPIs below target, then most overdue items, then most abnormal milestones."""
    return (-row["failed"], -row["overdue"], -row["abnormal_milestones"], row["project"]["code"])


def group_dashboard_build(*, actor, projects: list[Project], period: Period, today: dt.date | None = None) -> dict:
    """Every project's row side by side; ``projects`` are already the actor's (the apps scope again)."""
    today = today or timezone.localdate()
    pids = [p.pk for p in projects]
    portfolio = sections.portfolio(pids, period, today=today)
    stones = sections.milestones(pids, today=today)
    per_section = [
        (s, s.per_project(actor=actor, projects=projects, period=period, today=today)) for s in sections.feature_sections()
    ]
    rows = []
    for p in projects:
        kpis, overdue, extra = [], 0, {}
        for section, figures in per_section:
            fig = figures.get(p.pk, {})
            kpis.extend(fig.get("kpis", []))
            overdue += fig.get("overdue", 0)
            extra[section.key] = fig
        rows.append(
            {
                "project": {
                    "pk": p.pk,
                    "code": p.code,
                    "name": p.name,
                    "city": p.city,
                    "company": p.company or p.city,
                    "stage": p.get_stage_display(),
                },
                "portfolio": portfolio[p.pk],
                "kpis": kpis,
                "failed": sum(1 for k in kpis if k["ok"] is False),
                "overdue": overdue,
                "abnormal_milestones": sum(1 for m in stones[p.pk] if m["abnormal"]),
                "max_delay": max((m["late_days"] for m in stones[p.pk]), default=0),
                "sections": extra,
            }
        )
    rows.sort(key=_rank_key)
    return {
        "rows": rows,
        "kpi_heads": _kpi_heads(rows),
        "cities": _rollup(rows, "city"),
        "companies": _rollup(rows, "company"),
        "heatmap": _heatmap(per_section, projects),
        "missing": [str(s.title) for s in sections.missing_sections()],
    }


def _kpi_heads(rows) -> list[dict]:
    heads = {}
    for r in rows:
        for k in r["kpis"]:
            heads.setdefault(k["key"], {"key": k["key"], "label": k["label"], "target": k["target"], "op": k["op"]})
    return list(heads.values())


def _rollup(rows: list[dict], field: str) -> list[dict]:
    groups = defaultdict(list)
    for r in rows:
        groups[r["project"][field]].append(r)
    out = []
    for name, members in sorted(groups.items()):
        totals = defaultdict(int)
        for r in members:
            for k, v in r["portfolio"].items():
                totals[k] += v
        kpis = sections.rollup_kpis([r["kpis"] for r in members])
        out.append(
            {
                "name": name,
                "projects": len(members),
                "portfolio": dict(totals),
                "kpis": kpis,
                "failed": sum(1 for k in kpis if k["ok"] is False),
                "overdue": sum(r["overdue"] for r in members),
            }
        )
    return out


def _heatmap(per_section, projects) -> dict | None:
    """Complaints by project × category, when the complaints section is there."""
    for section, figures in per_section:
        if section.key == "complaints":
            return section.heatmap(figures, projects)
    return None
