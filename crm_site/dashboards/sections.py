"""One adapter per source of figures. Each answers for a set of project ids in a fixed number of queries.

``portfolio`` and ``milestones`` read estates; the feature apps' adapters call the aggregate
selectors each app publishes in ``<app>/selectors.py``. An app whose selectors are not there yet
yields no section (the page says so) instead of breaking the dashboard.

KPI dicts share one shape so that the group page can rank and roll them up:
``{key, label, num, den, value, target, op, ok, url}`` — ``value`` is num/den in %, and a roll-up
sums ``num`` and ``den`` before dividing (never an average of percentages).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, IntegerField, Q, Value
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from estates.models import Contract, Milestone, Unit

from . import rules
from .periods import Period

HANDOVER_WINDOW_DAYS = 30
OP_SYMBOLS = {"gt": ">", "gte": "≥", "lte": "≤"}


def url(name: str, *args, **params) -> str | None:
    """Reverse ``name`` and add query parameters; None while the app's page does not exist."""
    try:
        base = reverse(name, args=args)
    except NoReverseMatch:
        return None
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(clean)}" if clean else base


def app_selectors(app: str, *names: str):
    """The app's selectors module if it publishes every function in ``names``, else None."""
    try:
        module = importlib.import_module(f"{app}.selectors")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.selectors":
            raise
        return None
    return module if all(hasattr(module, n) for n in names) else None


def kpi(*, key: str, label, num: int, den: int, target=None, op: str = "gte", url_: str | None = None) -> dict:
    value = rules.ratio(num, den)
    return {
        "key": key,
        "label": label,
        "num": num,
        "den": den,
        "value": value,
        "target": target,
        "op": op,
        "op_symbol": OP_SYMBOLS.get(op, "≥"),
        "ok": rules.meets(value, target, op),
        "url": url_,
    }


def rollup_kpis(kpi_lists: list[list[dict]]) -> list[dict]:
    """Sum numerators and denominators KPI by KPI across projects, then divide."""
    merged: dict[str, dict] = {}
    for kpis in kpi_lists:
        for k in kpis:
            m = merged.setdefault(k["key"], {**k, "num": 0, "den": 0, "url": None})
            m["num"] += k["num"]
            m["den"] += k["den"]
    return [
        kpi(key=k["key"], label=k["label"], num=k["num"], den=k["den"], target=k["target"], op=k["op"]) for k in merged.values()
    ]


# --- estates ------------------------------------------------------------------------------------


def portfolio(project_ids: list[int], period: Period, *, today: dt.date) -> dict[int, dict]:
    """Units, contracts, owners and handovers per project: one statement whatever the number of
    projects (a ``UNION ALL`` of grouped counts, so every figure comes from one snapshot).

    Each arm reads the narrowest index that answers it: units by project (index-only); active
    contracts and those signed in the period from ``contract_active_project_signed`` (a partial
    index on active contracts, index-only, deduplicated); handovers still to come and undated ones
    as index range scans of ``contract_project_status``. ``handed_over`` is the rest — active
    contracts with ``handover_on <= today`` = active − later − undated — so no arm scans every
    contract's handover date. Owners are distinct customers over the active contracts' links.
    Filtered counts count ``project`` (never null; Django refuses ``Count("*", filter=…)``), a
    column of every index read, so the scans stay index-only.
    """
    if not project_ids:
        return {}
    soon = today + dt.timedelta(days=HANDOVER_WINDOW_DAYS)
    zero = Value(0, output_field=IntegerField())
    cols = ("units", "contracts", "signed", "later", "due", "undated", "customers")

    def arm(queryset, group: str, **counts):
        return queryset.order_by().values(group).annotate(**{c: counts.get(c, zero) for c in cols})

    active = Contract.objects.filter(project_id__in=project_ids, status=Contract.Status.ACTIVE)
    rows = arm(Unit.objects.filter(project_id__in=project_ids), "project_id", units=Count("*")).union(
        arm(
            active,
            "project_id",
            contracts=Count("*"),
            signed=Count("project", filter=Q(signed_on__gte=period.start, signed_on__lte=period.end)),
        ),
        arm(
            active.filter(handover_on__gt=today),
            "project_id",
            later=Count("*"),
            due=Count("project", filter=Q(handover_on__lte=soon)),
        ),
        arm(active.filter(handover_on__isnull=True), "project_id", undated=Count("*")),
        # Distinct customers: one holding two contracts in a project is one owner there.
        arm(
            Contract.customers.through.objects.filter(
                contract__project_id__in=project_ids, contract__status=Contract.Status.ACTIVE
            ),
            "contract__project_id",
            customers=Count("customer_id", distinct=True),
        ),
        all=True,
    )
    sums = {pid: dict.fromkeys(cols, 0) for pid in project_ids}
    for row in rows:
        s = sums[row["project_id"]]
        for c in cols:
            s[c] += row[c]
    return {
        pid: {
            "units": s["units"],
            "contracts": s["contracts"],
            "handed_over": s["contracts"] - s["later"] - s["undated"],
            "handovers_due": s["due"],
            "signed": s["signed"],
            "customers": s["customers"],
        }
        for pid, s in sums.items()
    }


def milestones(project_ids: list[int], *, today: dt.date) -> dict[int, list[dict]]:
    """Each project's milestones with their schedule deviation (one query).

    The deviation rule belongs to the risk app (``risk.selectors.milestone_deviations``: measured
    from the first planned milestone, abnormal beyond ±10 %); ``rules.milestone_deviations`` is the
    same rule kept here for a deployment without the risk app.
    """
    grouped = defaultdict(list)
    for m in Milestone.objects.filter(project_id__in=project_ids).order_by("project_id", "planned_on"):
        grouped[m.project_id].append(m)
    labels = dict(Milestone.Kind.choices)
    risk = app_selectors("risk", "milestone_deviations")
    out = {}
    for pid in project_ids:
        if risk is not None:
            rows = [
                (d["milestone"], d["deviation"].percent, d["deviation"].flagged)
                for d in risk.milestone_deviations(milestones=grouped.get(pid, []), today=today)
            ]
        else:
            by_kind = {m.kind: m for m in grouped.get(pid, [])}
            rows = [
                (by_kind[d.kind], d.percent, d.abnormal)
                for d in rules.milestone_deviations(grouped.get(pid, []), order=Milestone.ORDER, today=today)
            ]
        out[pid] = [
            {
                "kind": m.kind,
                "label": labels.get(m.kind, m.kind),
                "planned_on": m.planned_on,
                "actual_on": m.actual_on,
                "percent": percent,
                "late_days": _late_days(m, today),
                "abnormal": flagged,
            }
            for m, percent, flagged in rows
        ]
    return out


def _late_days(m, today: dt.date) -> int:
    """Days past the planned date: to the actual date, or to today while it is overdue and not reached."""
    if m.actual_on is not None:
        return (m.actual_on - m.planned_on).days
    return max((today - m.planned_on).days, 0)


# --- the feature apps ---------------------------------------------------------------------------
# One adapter per app in ``sources/``, in page order; tests may replace the list.

FEATURE_SECTIONS: list | None = None


def _registry() -> list:
    if FEATURE_SECTIONS is not None:
        return FEATURE_SECTIONS
    from .sources import complaints, defects, risk, satisfaction, touchpoints

    return [complaints.SECTION, defects.SECTION, risk.SECTION, satisfaction.SECTION, touchpoints.SECTION]


def feature_sections() -> list:
    """The adapters whose app selectors are present, in page order."""
    return [s for s in _registry() if s.available()]


def missing_sections() -> list:
    return [s for s in _registry() if not s.available()]


SECTION_TITLES = {
    "complaints": _("Complaints"),
    "defects": _("Defects"),
    "risk": _("Risk control"),
    "satisfaction": _("Satisfaction surveys"),
    "touchpoints": _("Touchpoints and segments"),
    "segments": _("Customer segments"),
}
