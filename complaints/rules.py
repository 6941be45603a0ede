"""The complaint rules as pure functions (no database, no clock): severity tiers and SLA maths.

Severity tiers (DOMAIN.md §2, highest first):
- major: a lawsuit filed; exposed by media; a collective complaint of 10 or more people; a
  group-complaint cluster of 10 or more distinct complainants; unresolved one month after it was
  raised through the company's fault.
- hot: may lead to a lawsuit or media exposure; the same complaint from 3 or more distinct
  complainants within a month (a cluster of 3+); a collective complaint of 3 or more people;
  unresolved one week after it was raised through the company's fault.
- important: a re-complaint after handling was completed; needs consultants or another company.
- ordinary: everything else.

"Through the company's fault" means time on hold (waiting on the customer or a third party) does
not count: the age thresholds ``hot_at`` and ``major_at`` are pushed back by the time held.
Automatic changes only raise the tier (``raise_only``); a manager may set one by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

ORDINARY, IMPORTANT, HOT, MAJOR = 0, 1, 2, 3

HOT_PEOPLE = 3
MAJOR_PEOPLE = 10
HOT_AGE = timedelta(days=7)
MAJOR_AGE = timedelta(days=30)  # "one month"
CLUSTER_WINDOW = timedelta(days=30)

# How far the calendar walk may look ahead before giving up (a calendar with no working time).
MAX_DAYS_AHEAD = 3 * 366
FOREVER = timedelta(days=3650)


# --- Severity ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierFacts:
    lawsuit_filed: bool = False
    media_exposed: bool = False
    legal_or_media_risk: bool = False
    complainant_count: int = 1
    cluster_complainants: int = 0  # distinct complainants of the same complaint within 30 days
    repeat: bool = False  # a re-complaint after handling was completed (or reopened)
    needs_outside_help: bool = False
    unresolved: bool = True  # still received / in progress / on hold
    hot_at: datetime | None = None
    major_at: datetime | None = None


@dataclass(frozen=True)
class TierDecision:
    severity: int
    reasons: tuple[str, ...] = field(default_factory=tuple)


def severity_for(facts: TierFacts, *, now: datetime) -> TierDecision:
    """The tier the facts call for, with the reasons (codes) of the highest tier that applies."""
    aged_month = facts.unresolved and facts.major_at is not None and now >= facts.major_at
    aged_week = facts.unresolved and facts.hot_at is not None and now >= facts.hot_at
    major = [
        code
        for code, applies in (
            ("lawsuit_filed", facts.lawsuit_filed),
            ("media_exposed", facts.media_exposed),
            ("collective_10", facts.complainant_count >= MAJOR_PEOPLE),
            ("cluster_10", facts.cluster_complainants >= MAJOR_PEOPLE),
            ("unresolved_month", aged_month),
        )
        if applies
    ]
    if major:
        return TierDecision(MAJOR, tuple(major))
    hot = [
        code
        for code, applies in (
            ("legal_or_media_risk", facts.legal_or_media_risk),
            ("collective_3", facts.complainant_count >= HOT_PEOPLE),
            ("cluster_3", facts.cluster_complainants >= HOT_PEOPLE),
            ("unresolved_week", aged_week),
        )
        if applies
    ]
    if hot:
        return TierDecision(HOT, tuple(hot))
    important = [code for code, applies in (("repeat", facts.repeat), ("outside_help", facts.needs_outside_help)) if applies]
    if important:
        return TierDecision(IMPORTANT, tuple(important))
    return TierDecision(ORDINARY, ())


def raise_only(current: int, computed: int) -> int:
    """Automatic changes never lower a tier."""
    return max(current, computed)


def cluster_severity(distinct_complainants: int) -> int:
    """The floor a group-complaint cluster puts under each member: 3 → hot, 10 → major."""
    if distinct_complainants >= MAJOR_PEOPLE:
        return MAJOR
    if distinct_complainants >= HOT_PEOPLE:
        return HOT
    return ORDINARY


# --- Calendars -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """Working time: the same intervals on every working day (local times, half-open)."""

    intervals: tuple[tuple[time, time], ...]
    weekdays: frozenset[int]  # ISO 1 = Monday .. 7 = Sunday
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days (调休), even on a weekend
    tz: ZoneInfo = SHANGHAI

    @classmethod
    def from_strings(
        cls, intervals: Iterable[Sequence[str]], weekdays: Iterable[int], *, holidays=(), workdays=(), tz=None
    ) -> Calendar:
        parsed = tuple(sorted((time.fromisoformat(a), time.fromisoformat(b)) for a, b in intervals))
        return cls(
            intervals=parsed,
            weekdays=frozenset(int(d) for d in weekdays),
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            tz=tz or SHANGHAI,
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() in self.weekdays


def validate_intervals(intervals: Iterable[Sequence[str]]) -> list[str]:
    """Problems with a calendar's intervals (empty when valid): HH:MM pairs, start < end, no overlap."""
    problems = []
    parsed = []
    for pair in intervals:
        try:
            a, b = (time.fromisoformat(pair[0]), time.fromisoformat(pair[1]))
        except (TypeError, ValueError, IndexError):
            problems.append(f"bad interval {pair!r}")
            continue
        if a >= b:
            problems.append(f"interval {pair!r} ends before it starts")
        parsed.append((a, b))
    parsed.sort()
    for (_a1, b1), (a2, _b2) in pairwise(parsed):
        if a2 < b1:
            problems.append("intervals overlap")
    return problems


def _working_segments(start: datetime, calendar: Calendar) -> Iterator[tuple[datetime, datetime]]:
    local = start.astimezone(calendar.tz)
    day = local.date()
    for _ in range(MAX_DAYS_AHEAD):
        if calendar.is_working_day(day):
            for a, b in calendar.intervals:
                seg_start = datetime.combine(day, a, tzinfo=calendar.tz)
                seg_end = datetime.combine(day, b, tzinfo=calendar.tz)
                if seg_end <= local:
                    continue
                yield max(seg_start, local), seg_end
        day += timedelta(days=1)
    raise ValueError("the calendar has no working time ahead")


def _clock_segments(start: datetime) -> Iterator[tuple[datetime, datetime]]:
    cursor = start
    while True:
        yield cursor, cursor + FOREVER
        cursor += FOREVER


def _merge(holds: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(h for h in holds if h[1] > h[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _minus_holds(segments: Iterator[tuple[datetime, datetime]], holds: list[tuple[datetime, datetime]]):
    for seg_start, seg_end in segments:
        pieces = [(seg_start, seg_end)]
        for h_start, h_end in holds:
            if h_end <= seg_start or h_start >= seg_end:
                continue
            pieces = [
                piece
                for p_start, p_end in pieces
                for piece in ((p_start, min(p_end, h_start)), (max(p_start, h_end), p_end))
                if piece[1] > piece[0]
            ]
        yield from pieces


def add_time(start: datetime, hours: Decimal | float | int, *, calendar: Calendar | None = None, holds=()) -> datetime:
    """The moment ``hours`` of countable time have passed since ``start``.

    Clock hours when ``calendar`` is None, else working hours on it. Time inside ``holds``
    (closed ``(start, end)`` intervals on hold) does not count. The result is an aware datetime.
    """
    remaining = timedelta(seconds=round(float(hours) * 3600))
    segments = _working_segments(start, calendar) if calendar is not None else _clock_segments(start)
    for seg_start, seg_end in _minus_holds(segments, _merge(holds)):
        length = seg_end - seg_start
        if remaining <= length:
            return seg_start + remaining
        remaining -= length
    raise ValueError("unreachable")  # pragma: no cover - the generators are endless or raise


def hold_intervals(events: Iterable[tuple[str, datetime]], *, hold_kind: str = "held", resume_kind: str = "resumed"):
    """Closed hold intervals from a timeline of ``(kind, at)`` pairs, oldest first.

    Returns ``(intervals, open_since)``: ``open_since`` is when a hold still running began.
    """
    intervals = []
    open_since = None
    for kind, at in events:
        if kind == hold_kind and open_since is None:
            open_since = at
        elif kind == resume_kind and open_since is not None:
            intervals.append((open_since, at))
            open_since = None
    return intervals, open_since


@dataclass(frozen=True)
class Targets:
    first_response_hours: Decimal
    resolution_hours: Decimal
    revisit_hours: Decimal
    calendar: Calendar | None = None  # None: clock hours


@dataclass(frozen=True)
class DueTimes:
    first_response_due: datetime
    resolution_due: datetime
    hot_at: datetime
    major_at: datetime


def due_times(*, filed_at: datetime, targets: Targets, holds=()) -> DueTimes:
    """Every stored due time, recomputed from the filing time and the closed holds."""
    return DueTimes(
        first_response_due=add_time(filed_at, targets.first_response_hours, calendar=targets.calendar, holds=holds),
        resolution_due=add_time(filed_at, targets.resolution_hours, calendar=targets.calendar, holds=holds),
        # The age rules count clock time, minus holds: "unresolved a week / a month through our fault".
        hot_at=add_time(filed_at, HOT_AGE.total_seconds() / 3600, holds=holds),
        major_at=add_time(filed_at, MAJOR_AGE.total_seconds() / 3600, holds=holds),
    )


def revisit_due(*, resolved_at: datetime, targets: Targets) -> datetime:
    return add_time(resolved_at, targets.revisit_hours, calendar=targets.calendar)


# --- Text ----------------------------------------------------------------------------------------


def text_signature(text: str) -> str:
    """Normalised text for "near-identical" matching: letters and digits only, lower case."""
    return "".join(ch for ch in text.lower() if ch.isalnum())[:200]


def near_identical(a: str, b: str, *, threshold: float = 0.85) -> bool:
    """Two signatures are the same complaint when they are equal or very similar."""
    if not a or not b:
        return False
    if a == b:
        return True
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio() >= threshold


def complainant_key(*, customer_id: int | None, phone: str = "", name: str = "") -> str:
    """Who complained, to count distinct complainants: the customer, else the phone, else the name."""
    if customer_id:
        return f"c:{customer_id}"
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits:
        return f"p:{digits}"
    return f"n:{name.strip().lower()}" if name.strip() else ""


# --- KPIs ----------------------------------------------------------------------------------------

TARGETS = {"satisfaction_rate": 0.8, "on_time_rate": 0.9, "closure_rate": 1.0, "revisit_rate": 1.0}


def rate(numerator: int, denominator: int) -> float | None:
    """A share in 0..1, or None when there is nothing to measure."""
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def is_overdue(*, status: str, first_response_due, resolution_due, now: datetime) -> bool:
    """Overdue: not answered by the first-response due time, or not resolved by the resolution
    due time. A complaint on hold is not overdue (its clocks are stopped)."""
    if status == "received" and first_response_due is not None and now > first_response_due:
        return True
    return status in ("received", "in_progress") and resolution_due is not None and now > resolution_due


# Which workflow action a status allows (the page shows one button per allowed action).
# The first is the status's main next step (the page makes it the primary button).
ACTIONS_BY_STATUS = {
    "received": ("respond", "assign", "escalate"),
    "in_progress": ("resolve", "hold", "assign", "escalate"),
    "on_hold": ("resume", "assign", "escalate"),
    "resolved": ("revisit", "close", "reopen", "assign", "escalate"),
    "closed": ("reopen",),
}
