"""Pure rules of risk control: no database, no clock, no I/O. Callers pass in what the rule needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# DOMAIN.md §5: a schedule deviation beyond ±10 % is abnormal.
DEVIATION_THRESHOLD_PERCENT = Decimal("10")
# Reminder before the deadline (盯): this many days ahead.
REMIND_DAYS_BEFORE = 3
# After the deadline the owner is reminded again every this many days while the item stays open.
OVERDUE_REPEAT_DAYS = 7
# Departments whose members sign off at general-manager level (总经理办公室).
GM_DEPARTMENT_CODE = "gm_office"
GM_ROLES = frozenset({"admin"})


@dataclass(frozen=True)
class Deviation:
    """(actual − planned) / planned duration, in percent, for one milestone."""

    percent: Decimal | None  # None when it cannot be measured (no planned duration, not due yet)
    flagged: bool  # beyond ±10 %
    reached: bool  # the milestone has an actual date; otherwise ``percent`` counts up to today


def milestone_deviation(*, start: date, planned: date, actual: date | None, today: date) -> Deviation:
    """Schedule deviation of a milestone measured from the project's start (its first planned milestone).

    Planned duration = planned − start; actual duration = actual − start, or today − start for a
    milestone that is past its planned date and not reached yet (it is late by at least that much).
    A milestone not reached and not yet due has no deviation. Exactly ±10 % is not flagged.
    """
    planned_days = (planned - start).days
    if planned_days <= 0:
        return Deviation(None, False, actual is not None)
    if actual is None:
        if today <= planned:
            return Deviation(None, False, False)
        end, reached = today, False
    else:
        end, reached = actual, True
    percent = (Decimal((end - start).days - planned_days) * 100 / Decimal(planned_days)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return Deviation(percent, abs(percent) > DEVIATION_THRESHOLD_PERCENT, reached)


def deadline_problem(*, deadline: date | None, today: date) -> str | None:
    """Why a new deadline is refused, or None. A deadline may be today but never in the past."""
    if deadline is None:
        return "missing"
    if deadline < today:
        return "past"
    return None


@dataclass(frozen=True)
class Notice:
    kind: str  # "due_soon" | "overdue" | "escalation"
    key: str  # stable per deadline and period, so repeating a sweep notifies nobody twice


def risk_item_notices(*, item_id: int, deadline: date, today: date) -> list[Notice]:
    """The reminders an active risk item is due for today (chase 盯 before, escalate after).

    - from REMIND_DAYS_BEFORE days before the deadline up to the deadline: one "due soon";
    - from the day after the deadline: "overdue" to the owner once per OVERDUE_REPEAT_DAYS period,
      and one "escalation" to the owner's head per deadline.
    Keys carry the deadline, so moving the deadline starts the cycle afresh.
    """
    days_left = (deadline - today).days
    base = f"risk:item:{item_id}:{deadline.isoformat()}"
    if 0 <= days_left <= REMIND_DAYS_BEFORE:
        return [Notice("due_soon", f"{base}:due_soon")]
    if days_left < 0:
        period = (-days_left - 1) // OVERDUE_REPEAT_DAYS
        return [Notice("overdue", f"{base}:overdue:{period}"), Notice("escalation", f"{base}:escalation")]
    return []


def can_sign_off(*, role: str | None, department_code: str | None, is_superuser: bool = False) -> bool:
    """General-manager level: members of the general manager's office, administrators, superusers."""
    return bool(is_superuser or role in GM_ROLES or department_code == GM_DEPARTMENT_CODE)


TEMPLATE_EDITOR_ROLES = frozenset({"cr_manager", "group_centre", "admin"})


def can_edit_templates(*, role: str | None, is_superuser: bool = False) -> bool:
    """Checklists are the customer-relations centre's rules: its managers and the group centre own them."""
    return bool(is_superuser or role in TEMPLATE_EDITOR_ROLES)


@dataclass(frozen=True)
class Blocker:
    code: str  # "unanswered" | "high_risk_open" | "factor_undisclosed" | "promise_unsettled"
    count: int
    labels: tuple[str, ...]  # what to name in the message (titles, factor names, promise wordings)


def sign_off_blockers(
    *,
    kind: str,
    unanswered: int,
    open_high_risks: list[str],
    undisclosed_factors: list[str],
    unsettled_delivery_promises: list[str],
) -> list[Blocker]:
    """Why the general manager may not sign the review off yet; empty when sign-off is allowed.

    Every review needs all items answered, no open high-level risk of the project and no
    undisclosed adverse factor. A pre-delivery review also needs every promise due at handover
    verified as kept or changed with written confirmation (a pre-opening review comes before
    any promise can be verified, so promises do not block it).
    """
    blockers = []
    if unanswered:
        blockers.append(Blocker("unanswered", unanswered, ()))
    if open_high_risks:
        blockers.append(Blocker("high_risk_open", len(open_high_risks), tuple(open_high_risks)))
    if undisclosed_factors:
        blockers.append(Blocker("factor_undisclosed", len(undisclosed_factors), tuple(undisclosed_factors)))
    if kind == "pre_delivery" and unsettled_delivery_promises:
        blockers.append(Blocker("promise_unsettled", len(unsettled_delivery_promises), tuple(unsettled_delivery_promises)))
    return blockers


def sales_opening_blockers(*, undisclosed_factors: list[str]) -> list[Blocker]:
    """A project cannot open sales while an adverse factor outside the site is undisclosed."""
    if not undisclosed_factors:
        return []
    return [Blocker("factor_undisclosed", len(undisclosed_factors), tuple(undisclosed_factors))]
