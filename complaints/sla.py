"""Loading SLA policies and calendars from the database into the pure rules' shapes.

A ``SlaBook`` holds every policy, calendar and calendar day in three queries, so that filing one
complaint and sweeping a thousand cost the same to set up. ``SlaBook.cached()`` keeps the book
between requests: it is rebuilt when a policy, calendar or calendar day is saved or deleted (a
version token in the shared cache, dropped at once and again on commit, so every process sees
the change) and at least every five minutes.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from . import rules
from .models import CalendarDay, Complaint, ComplaintEvent, SlaPolicy, WorkCalendar

logger = logging.getLogger(__name__)

SLA_BOOK_CACHE_NAME = "complaints:sla-book"
BOOK_LOCAL_SECONDS = 300
_books: dict[str, tuple[SlaBook, float]] = {}


class SlaBook:
    @classmethod
    def cached(cls) -> SlaBook:
        """The book as of the last change to policies or calendars, without a query on a hit."""
        try:
            token = cache.get(SLA_BOOK_CACHE_NAME)
            if token is None:
                cache.add(SLA_BOOK_CACHE_NAME, uuid.uuid4().hex, None)
                token = cache.get(SLA_BOOK_CACHE_NAME)
        except Exception:  # noqa: BLE001 - an unreachable cache costs three queries, never a failure
            logger.warning("cache unreachable: SLA book read from the database")
            return cls()
        entry = _books.get(token) if token else None
        if entry is not None and time.monotonic() - entry[1] < BOOK_LOCAL_SECONDS:
            return entry[0]
        book = cls()
        if token:
            _books.clear()
            _books[token] = (book, time.monotonic())
        return book

    def __init__(self):
        days = defaultdict(lambda: ([], []))
        for day in CalendarDay.objects.all():
            (days[day.calendar_id][0] if day.kind == CalendarDay.Kind.HOLIDAY else days[day.calendar_id][1]).append(day.date)
        self.calendars = {
            cal.pk: rules.Calendar.from_strings(cal.intervals, cal.weekdays, holidays=days[cal.pk][0], workdays=days[cal.pk][1])
            for cal in WorkCalendar.objects.all()
        }
        self.policies = {(p.channel, p.severity): p for p in SlaPolicy.objects.all()}

    def policy(self, channel: str, severity: int) -> SlaPolicy | None:
        return self.policies.get((channel, int(severity)))

    def targets(self, policy: SlaPolicy) -> rules.Targets:
        calendar = self.calendars.get(policy.calendar_id) if policy.basis == SlaPolicy.Basis.WORKING else None
        return rules.Targets(
            first_response_hours=policy.first_response_hours,
            resolution_hours=policy.resolution_hours,
            revisit_hours=policy.revisit_hours,
            calendar=calendar,
        )


def sla_book_changed(**_kwargs) -> None:
    """A policy, calendar or calendar day changed: every process rebuilds its book (signal receiver)."""
    _books.clear()

    def forget():
        try:
            cache.delete(SLA_BOOK_CACHE_NAME)
        except Exception:  # noqa: BLE001 - the local TTL bounds how long another process keeps the old book
            logger.warning("cache unreachable: SLA book token not dropped")

    forget()  # now, for this transaction's own later reads
    transaction.on_commit(forget, robust=True)  # and after commit, for books built from the old rows meanwhile


def holds_by_complaint(complaint_ids) -> dict[int, list[tuple[datetime, datetime]]]:
    """Closed hold intervals per complaint, from the timeline (one query for any number)."""
    timeline = defaultdict(list)
    events = (
        ComplaintEvent.objects.filter(
            complaint_id__in=list(complaint_ids), kind__in=[ComplaintEvent.Kind.HELD, ComplaintEvent.Kind.RESUMED]
        )
        .order_by("complaint_id", "at", "pk")
        .values_list("complaint_id", "kind", "at")
    )
    for complaint_id, kind, at in events:
        timeline[complaint_id].append((kind, at))
    return {cid: rules.hold_intervals(items)[0] for cid, items in timeline.items()}


def apply_due_times(complaint: Complaint, *, book: SlaBook, holds) -> list[str]:
    """Set the policy and every stored due time on ``complaint`` (not saved); return the changed fields."""
    policy = book.policy(complaint.channel, complaint.severity)
    if policy is None:
        return []
    targets = book.targets(policy)
    due = rules.due_times(filed_at=complaint.created_at, targets=targets, holds=holds)
    values = {
        "policy_id": policy.pk,
        "first_response_due": due.first_response_due,
        "resolution_due": due.resolution_due,
        "hot_at": due.hot_at,
        "major_at": due.major_at,
    }
    if complaint.resolved_at is not None:
        values["revisit_due"] = rules.revisit_due(resolved_at=complaint.resolved_at, targets=targets)
    changed = []
    for name, value in values.items():
        if getattr(complaint, name) != value:
            setattr(complaint, name, value)
            changed.append("policy" if name == "policy_id" else name)
    return changed


def open_complaints_for_policies(policies: QuerySet[SlaPolicy] | list[SlaPolicy]) -> QuerySet[Complaint]:
    from django.db.models import Q

    condition = Q(pk__in=[])
    for p in policies:
        condition |= Q(channel=p.channel, severity=p.severity)
    return Complaint.objects.filter(condition, status__in=[*Complaint.OPEN_STATUSES, Complaint.Status.RESOLVED])
