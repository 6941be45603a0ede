"""Pure dashboard maths: KPI ratios against targets and milestone schedule deviation. No I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

# Abnormal schedule deviation, from the client-expectation policy: beyond ±10 %.
DEVIATION_LIMIT = Decimal("10")


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """Percentage with one decimal, or None when there is nothing to measure (never 0 % by default)."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"))


def meets(value, target, op: str) -> bool | None:
    """Whether ``value`` meets ``target`` under ``op`` ("gt", "gte", "lte"); None when unmeasured."""
    if value is None or target is None:
        return None
    value, target = Decimal(str(value)), Decimal(str(target))
    if op == "gt":
        return value > target
    if op == "lte":
        return value <= target
    return value >= target


@dataclass(frozen=True)
class Deviation:
    kind: str
    planned_on: dt.date
    actual_on: dt.date | None
    percent: Decimal | None  # (actual − planned) / planned duration × 100; None if not measurable yet
    late_days: int  # days past the planned date (actual or, if not reached, today); negative = early
    abnormal: bool


def milestone_deviations(milestones, *, order: list[str], today: dt.date) -> list[Deviation]:
    """Schedule deviation of each milestone, measured from the project's first planned milestone.

    Durations run from the earliest planned date (the risk app's rule, so that both pages agree)
    to each milestone. A milestone not reached whose planned date has passed is measured to today,
    so a slipping milestone shows before it is finally reached. Abnormal beyond ±10 %.
    """
    rows = sorted(milestones, key=lambda m: (order.index(m.kind) if m.kind in order else len(order), m.planned_on))
    if not rows:
        return []
    origin = min(m.planned_on for m in rows)
    out = []
    for m in rows:
        reached = m.actual_on
        measured_to = reached or (today if today > m.planned_on else None)
        planned_days = (m.planned_on - origin).days
        percent = None
        if measured_to is not None and planned_days > 0:
            percent = (Decimal((measured_to - origin).days - planned_days) * 100 / Decimal(planned_days)).quantize(Decimal("0.1"))
        late = ((measured_to or today) - m.planned_on).days if measured_to else 0
        out.append(
            Deviation(
                kind=m.kind,
                planned_on=m.planned_on,
                actual_on=reached,
                percent=percent,
                late_days=late,
                abnormal=percent is not None and abs(percent) > DEVIATION_LIMIT,
            )
        )
    return out
