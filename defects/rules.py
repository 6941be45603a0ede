"""Pure rules of defect feedback: codes, who must attend a review, when to chase. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

# Days past the rectification due date after which the department head is told, not only the owner.
ESCALATE_AFTER_DAYS = 3
# Age buckets (days since found) shown on the dashboards; the last bucket is open-ended.
AGE_BUCKETS = ((0, 30), (31, 90), (91, None))

SERIES_RE = re.compile(r"^[A-Z]{1,6}$")


def defect_code(series: str, number: int) -> str:
    """SJ + 1 → SJ01: at least two digits, as in the seed's handbook."""
    return f"{series}{number:02d}"


def valid_series(series: str) -> bool:
    return bool(SERIES_RE.match(series or ""))


def chase_levels(*, due_on: date | None, today: date) -> list[str]:
    """Which chases a rectification due on ``due_on`` deserves by ``today`` (empty when not late)."""
    if due_on is None or today <= due_on:
        return []
    levels = ["reminder"]
    if (today - due_on).days >= ESCALATE_AFTER_DAYS:
        levels.append("escalation")
    return levels


def missing_heads(*, required: Mapping[int, Iterable[int]], attendee_ids: Iterable[int]) -> dict[int, list[int]]:
    """Per department id, the required heads (user ids) who are not among the attendees.

    A department with no head at all is reported with an empty list: the meeting cannot be
    recorded until the department has a head who attends.
    """
    present = set(attendee_ids)
    missing: dict[int, list[int]] = {}
    for dept_id, heads in required.items():
        heads = sorted(set(heads))
        if not heads:
            missing[dept_id] = []
            continue
        absent = [h for h in heads if h not in present]
        if absent:
            missing[dept_id] = absent
    return missing


def age_bucket(days: int) -> int:
    for index, (low, high) in enumerate(AGE_BUCKETS):
        if days >= low and (high is None or days <= high):
            return index
    return 0
