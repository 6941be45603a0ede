"""The audit trail of managers' edits to the scorecard and the monthly reports.

``record`` is called by the services inside the transaction of the change, so an edit and its
event are written together or not at all. Values are stored as text for Decimals and ISO dates,
so the trail reads the same whatever the database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from crm_site.models import DashboardEvent

Kind = DashboardEvent.Kind
HISTORY_ROWS = 20


def _plain(value):
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def actor_label(actor) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "system"
    return getattr(actor, "display_name", "") or getattr(actor, "username", "") or str(actor)


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose value changed, as (before, after)."""
    keys = [k for k in after if _plain(before.get(k)) != _plain(after.get(k))]
    return {k: _plain(before.get(k)) for k in keys}, {k: _plain(after[k]) for k in keys}


def record(
    *, project_id: int, actor, kind: str, subject: str = "", subject_id: int | None = None, before=None, after=None
) -> DashboardEvent:
    user = actor if getattr(actor, "pk", None) and hasattr(actor, "role") else None
    return DashboardEvent.objects.create(
        project_id=project_id,
        kind=kind,
        subject=str(subject)[:200],
        subject_id=subject_id,
        actor=user,
        actor_label=actor_label(actor)[:150],
        before=_plain(before or {}),
        after=_plain(after or {}),
        at=timezone.now(),
    )


def history(*, project_id: int, limit: int = HISTORY_ROWS) -> list[DashboardEvent]:
    """The project's latest edits, newest first (one query on the (project, -at) index)."""
    return list(DashboardEvent.objects.filter(project_id=project_id).order_by("-at", "-pk")[:limit])


def _field_labels() -> dict:
    from django.utils.translation import gettext as _

    return {
        "perspective": _("Perspective"),
        "objective": _("Objective"),
        "name": _("Measure"),
        "unit": _("Unit"),
        "target": _("Target"),
        "direction": _("Direction"),
        "kpi_key": _("Live KPI"),
        "value": _("Actual"),
        "month": _("Month"),
        "measures": _("Measures"),
    }


def change_text(event: DashboardEvent) -> str:
    """ "Target: 90 → 95；Unit: % → 分" in the page's language: what the edit changed."""
    labels = _field_labels()
    parts = []
    for key in [k for k in labels if k in event.before or k in event.after]:
        old, new = event.before.get(key), event.after.get(key)
        if key == "month" and old == new:
            parts.append(f"{labels[key]} {str(new)[:7]}")
            continue
        if key == "measures":
            parts.append(f"{labels[key]}: {'、'.join(new or [])}")
            continue
        old_text = "—" if old in (None, "") else str(old)
        new_text = "—" if new in (None, "") else str(new)
        if key in event.before and key in event.after:
            parts.append(f"{labels[key]}: {old_text} → {new_text}")
        elif key in event.after:
            parts.append(f"{labels[key]}: {new_text}")
        else:
            parts.append(f"{labels[key]}: {old_text} → —")
    return "；".join(parts)
