"""Changing SLA policies and calendars, and recomputing the open complaints they govern."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import rules, sla
from ..models import (
    Complaint,
    ComplaintEvent,
)
from .common import (
    Event,
)

# --- SLA policies and calendars --------------------------------------------------------------------

RECOMPUTE_BATCH = 1000


@transaction.atomic
def sla_policy_update(*, policy, actor, **values):
    """Change a policy's targets, then recompute the due times of the open complaints it governs
    (after commit, in the worker). Unknown or invalid values raise ValidationError."""
    from ..models import SlaPolicy

    allowed = {"first_response_hours", "resolution_hours", "revisit_hours", "basis", "calendar"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save(update_fields=[*values, "updated_at"])
    schedule_recompute(policy_ids=[policy.pk])
    return policy


@transaction.atomic
def work_calendar_update(*, calendar, actor, intervals=None, weekdays=None):
    """Change a calendar's working intervals or weekdays, then recompute the open complaints
    whose policies count on it. Overlapping or reversed intervals raise ValidationError."""
    from ..models import WorkCalendar

    calendar = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
    fields = []
    if intervals is not None:
        problems = rules.validate_intervals(intervals)
        if problems or not intervals:
            raise ValidationError({"intervals": problems or [_("At least one interval.")]})
        calendar.intervals = [list(pair) for pair in intervals]
        fields.append("intervals")
    if weekdays is not None:
        if not weekdays or any(not isinstance(d, int) or not 1 <= d <= 7 for d in weekdays):
            raise ValidationError({"weekdays": [_("Weekdays are numbers from 1 (Monday) to 7 (Sunday).")]})
        calendar.weekdays = sorted(set(weekdays))
        fields.append("weekdays")
    if fields:
        calendar.save(update_fields=fields)
        schedule_recompute(policy_ids=list(calendar.policies.values_list("pk", flat=True)))
    return calendar


@transaction.atomic
def calendar_day_set(*, calendar, actor, date, kind: str, name: str = ""):
    """Mark a date a holiday or a make-up working day (调休); recompute the affected complaints."""
    from ..models import CalendarDay

    if kind not in CalendarDay.Kind.values:
        raise ValidationError({"kind": [_("Unknown kind.")]})
    day, _created = CalendarDay.objects.update_or_create(
        calendar=calendar, date=date, defaults={"kind": kind, "name": name[:100]}
    )
    schedule_recompute(policy_ids=list(calendar.policies.values_list("pk", flat=True)))
    return day


def schedule_recompute(*, policy_ids):
    from functools import partial

    from ..tasks import complaints_recompute_due

    if policy_ids:
        transaction.on_commit(partial(complaints_recompute_due.delay, policy_ids=list(policy_ids)))


def complaints_recompute_due(*, policy_ids) -> int:
    """Recompute every stored due time of the unclosed complaints under the given policies, in
    batches with a fixed number of queries each; writes a timeline event where a time moved.
    Idempotent: a second run finds nothing to change."""
    from ..models import SlaPolicy

    policies = list(SlaPolicy.objects.filter(pk__in=policy_ids))
    if not policies:
        return 0
    changed_total = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                sla.open_complaints_for_policies(policies)
                .filter(pk__gt=last_pk, held_since__isnull=True)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:RECOMPUTE_BATCH]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            book = sla.SlaBook()
            holds = sla.holds_by_complaint([c.pk for c in batch])
            dirty, events, fields = [], [], set()
            now = timezone.now()
            for complaint in batch:
                before = {"resolution_due": complaint.resolution_due.isoformat() if complaint.resolution_due else None}
                changed = sla.apply_due_times(complaint, book=book, holds=holds.get(complaint.pk, []))
                if changed:
                    fields.update(changed)
                    dirty.append(complaint)
                    events.append(
                        ComplaintEvent(
                            complaint=complaint,
                            at=now,
                            actor_label="system",
                            kind=Event.Kind.DUE_RECOMPUTED,
                            before=before,
                            after={"resolution_due": complaint.resolution_due.isoformat() if complaint.resolution_due else None},
                        )
                    )
            if dirty:
                Complaint.objects.bulk_update(dirty, sorted(fields))
                ComplaintEvent.objects.bulk_create(events)
            changed_total += len(dirty)
    return changed_total
