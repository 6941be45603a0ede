"""The period chooser: a few named windows, resolved against today's date in the site's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CHOICES = [
    ("30d", _("Last 30 days")),
    ("90d", _("Last 90 days")),
    ("180d", _("Last six months")),
    ("mtd", _("This month")),
    ("prev", _("Last month")),
    ("ytd", _("This year")),
]
DEFAULT = "90d"
_DAYS = {"30d": 30, "90d": 90, "180d": 182}


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive

    @property
    def label(self):
        return dict(CHOICES).get(self.key, self.key)

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_at(self) -> dt.datetime:
        """Exclusive upper bound: midnight after the last day."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_period(month: dt.date) -> Period:
    """The calendar month that starts on ``month`` (used by the monthly report and the scorecard)."""
    first = month_start(month)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(key=f"m{first:%Y%m}", start=first, end=nxt - dt.timedelta(days=1))


def previous_month(today: dt.date) -> dt.date:
    return month_start(month_start(today) - dt.timedelta(days=1))


def resolve(key: str | None, *, today: dt.date | None = None) -> Period:
    """The period named by ``key``; unknown keys fall back to the default rather than erroring."""
    today = today or timezone.localdate()
    key = key if key in dict(CHOICES) else DEFAULT
    if key in _DAYS:
        return Period(key=key, start=today - dt.timedelta(days=_DAYS[key] - 1), end=today)
    if key == "mtd":
        return Period(key=key, start=month_start(today), end=today)
    if key == "prev":
        prev = month_period(previous_month(today))
        return Period(key=key, start=prev.start, end=prev.end)
    return Period(key=key, start=today.replace(month=1, day=1), end=today)


def week_starts(period: Period) -> list[dt.date]:
    """Mondays of the weeks that overlap the period, oldest first (the trend's x axis)."""
    first = period.start - dt.timedelta(days=period.start.weekday())
    weeks = []
    while first <= period.end:
        weeks.append(first)
        first += dt.timedelta(days=7)
    return weeks
