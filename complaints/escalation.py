"""The escalation ladder, who is told at each level, and the SLA sweep.

The sweep asks four partial indexes which complaints have passed a due time (first response,
resolution, a week's age, a month's age), locks them with ``FOR UPDATE SKIP LOCKED`` so that two
sweeps share the work instead of doubling it, and handles a batch with a fixed number of queries:
one escalation per breach (a unique (complaint, level) row), tiers raised by age, events written,
due times re-derived for raised tiers. Notifications go through ``estates.notifications.notify``
with a dedupe key per (complaint, level), so a task delivered twice notifies once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import User
from estates.notifications import Message, notify, notify_many

from . import rules, sla
from .models import SEVERITY_CODES, Complaint, ComplaintEvent, Escalation, EscalationLevel, Severity

SWEEP_BATCH = 500
SWEEP_MAX_BATCHES = 20
RUNNING = [s.value for s in Complaint.RUNNING_STATUSES]

# reason -> (due-time field, the partial index's condition, severity the breach raises to)
BREACHES = {
    Escalation.Reason.FIRST_RESPONSE: (
        "first_response_due",
        Q(status=Complaint.Status.RECEIVED, first_response_breached=False),
        None,
    ),
    Escalation.Reason.RESOLUTION: ("resolution_due", Q(status__in=RUNNING, resolution_breached=False), None),
    Escalation.Reason.HOT_AGE: ("hot_at", Q(status__in=RUNNING, severity__lt=Severity.HOT), Severity.HOT),
    Escalation.Reason.MAJOR_AGE: ("major_at", Q(status__in=RUNNING, severity__lt=Severity.MAJOR), Severity.MAJOR),
}


def _url(complaint: Complaint) -> str:
    # reverse() costs a millisecond; the sweep builds hundreds of links: derive them from one.
    return reverse("complaints:detail", args=[0]).replace("/0/", f"/{complaint.pk}/")


# --- Who is told -----------------------------------------------------------------------------------


class Staffing:
    """Everyone the ladder may notify, loaded once (two queries) for any number of complaints."""

    def __init__(self, levels):
        roles = {lv.notify_role for lv in levels if lv.notify_role}
        self.users = list(User.objects.filter(is_active=True, role__in=roles).prefetch_related("projects")) if roles else []

    def for_level(self, level: EscalationLevel | None, complaint: Complaint) -> list[User]:
        if level is None:
            return []
        if level.scope == EscalationLevel.Scope.HANDLER:
            return [complaint.assignee] if complaint.assignee_id else []
        people = []
        for user in self.users:
            if user.role != level.notify_role:
                continue
            projects = user.projects.all()
            in_scope = {
                EscalationLevel.Scope.GROUP: True,
                EscalationLevel.Scope.PROJECT: any(p.pk == complaint.project_id for p in projects),
                EscalationLevel.Scope.CITY: any(p.city == complaint.project.city for p in projects),
            }
            if in_scope.get(level.scope, False):
                people.append(user)
        return people


def ladder() -> dict[int, EscalationLevel]:
    return {lv.level: lv for lv in EscalationLevel.objects.all()}


def _level_message(*, complaint: Complaint, level: EscalationLevel | None, staffing: Staffing, reason: str, key: str) -> Message | None:
    recipients = staffing.for_level(level, complaint)
    if complaint.assignee_id and complaint.assignee not in recipients:
        recipients.append(complaint.assignee)
    if not recipients:
        return None
    title = _("%(reference)s escalated to %(level)s: %(reason)s") % {
        "reference": complaint.reference,
        "level": level.name if level else "-",
        "reason": Escalation.Reason(reason).label,
    }
    return Message(tuple(recipients), "complaint_escalated", title, key, complaint.title, _url(complaint), complaint.project)


def _notify_level(*, complaint: Complaint, level: EscalationLevel | None, staffing: Staffing, reason: str, key: str) -> None:
    message = _level_message(complaint=complaint, level=level, staffing=staffing, reason=reason, key=key)
    if message is not None:
        notify_many([message])


# --- One escalation --------------------------------------------------------------------------------


def escalate_one(*, complaint: Complaint, actor, reason: str, detail: str = "", levels=None) -> Escalation | None:
    """Move a locked complaint one level up (one row per (complaint, level)); None at the top."""
    from .services import event_record

    levels = levels or ladder()
    target = complaint.escalation_level + 1
    if target not in levels:
        return None
    user = actor if isinstance(actor, User) else None
    try:
        with transaction.atomic():
            row = Escalation.objects.create(complaint=complaint, level=target, reason=reason, detail=detail, actor=user)
    except IntegrityError:
        return None  # someone else reached this level first; their row is the one
    before = complaint.escalation_level
    complaint.escalation_level = target
    complaint.save(update_fields=["escalation_level", "updated_at"])
    event_record(
        complaint=complaint,
        actor=actor,
        kind=ComplaintEvent.Kind.ESCALATED,
        before={"escalation_level": before},
        after={"escalation_level": target, "reason": reason},
        detail=detail,
    )
    _notify_level(
        complaint=complaint,
        level=levels[target],
        staffing=Staffing([levels[target]]),
        reason=reason,
        key=f"complaint:{complaint.pk}:escalation:{target}",
    )
    return row


def notify_filed(*, complaint: Complaint) -> None:
    """Early warning (投诉预警): a complaint filed hot or major goes to level 1 at once."""
    recipients = [complaint.assignee] if complaint.assignee_id else []
    if complaint.severity >= Severity.HOT:
        levels = ladder()
        recipients += Staffing([levels[1]]).for_level(levels.get(1), complaint) if 1 in levels else []
    notify(
        recipients=recipients,
        kind="complaint_filed",
        title=_("New %(severity)s complaint %(reference)s")
        % {"severity": Severity(complaint.severity).label, "reference": complaint.reference},
        body=complaint.title,
        url=_url(complaint),
        dedupe_key=f"complaint:{complaint.pk}:filed",
        project=complaint.project,
    )


def notify_assigned(*, complaint: Complaint) -> None:
    notify(
        recipients=[complaint.assignee],
        kind="complaint_assigned",
        title=_("Complaint %(reference)s assigned to you") % {"reference": complaint.reference},
        body=complaint.title,
        url=_url(complaint),
        dedupe_key=f"complaint:{complaint.pk}:assigned:{complaint.assignee_id}:{complaint.updated_at.timestamp()}",
        project=complaint.project,
    )


def notify_status(*, complaint: Complaint, kind: str) -> None:
    if kind != "reopened":
        return
    levels = ladder()
    recipients = Staffing([levels[1]]).for_level(levels[1], complaint) if 1 in levels else []
    notify(
        recipients=recipients,
        kind="complaint_reopened",
        title=_("Complaint %(reference)s reopened") % {"reference": complaint.reference},
        body=complaint.title,
        url=_url(complaint),
        dedupe_key=f"complaint:{complaint.pk}:reopened:{complaint.reopen_count}",
        project=complaint.project,
    )


# --- The sweep -------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    complaints: int = 0
    escalations: int = 0
    raised: int = 0
    batches: int = 0
    reasons: dict = field(default_factory=lambda: defaultdict(int))


def due_querysets(now: datetime):
    """The four questions the sweep asks, each answered by its partial index."""
    for reason, (due_field, condition, _raise_to) in BREACHES.items():
        yield reason, due_field, Complaint.objects.filter(condition, **{f"{due_field}__lt": now})


def complaints_sweep(
    *, now: datetime | None = None, batch_size: int = SWEEP_BATCH, max_batches: int = SWEEP_MAX_BATCHES
) -> SweepResult:
    """Escalate and raise every complaint whose due time has passed.

    Safe to run twice at once (rows are claimed with SKIP LOCKED and re-checked under the lock;
    the unique (complaint, level) constraint backs "exactly once") and to repeat (a handled
    breach leaves the partial index). Batches of ``batch_size`` cost a fixed number of queries.
    """
    result = SweepResult()
    now = now or timezone.now()
    for _batch in range(max_batches):
        handled = _sweep_batch(now=now, batch_size=batch_size, result=result)
        if handled < batch_size:
            break
    return result


@transaction.atomic
def _sweep_batch(*, now: datetime, batch_size: int, result: SweepResult) -> int:
    from .services import actor_parts

    breaches: dict[int, list[str]] = defaultdict(list)
    for reason, due_field, qs in due_querysets(now):
        for pk in qs.order_by(due_field).select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch_size]:
            breaches[pk].append(reason)
    if not breaches:
        return 0
    complaints = list(Complaint.objects.filter(pk__in=list(breaches)).select_related("project", "assignee").order_by("pk"))
    levels = ladder()
    staffing = Staffing(levels.values())
    raised = [c.pk for c in complaints if any(BREACHES[r][2] is not None for r in breaches[c.pk])]
    book = sla.SlaBook() if raised else None
    holds = sla.holds_by_complaint(raised) if raised else {}
    _user, system = actor_parts(None)

    escalations, events, notices, recomputed = [], [], [], set()
    fields = {"escalation_level", "first_response_breached", "resolution_breached", "severity", "updated_at"}
    for complaint in complaints:
        for reason in breaches[complaint.pk]:
            raise_to = BREACHES[reason][2]
            if not _still_due(complaint, reason, now):
                continue
            if reason == Escalation.Reason.FIRST_RESPONSE:
                complaint.first_response_breached = True
            elif reason == Escalation.Reason.RESOLUTION:
                complaint.resolution_breached = True
            if raise_to is not None and complaint.severity < raise_to:
                before = complaint.severity
                complaint.severity = rules.raise_only(complaint.severity, raise_to)
                if complaint.held_since is None:
                    changed = sla.apply_due_times(complaint, book=book, holds=holds.get(complaint.pk, []))
                    if changed:
                        fields.update(changed)
                        recomputed.add(complaint.pk)
                events.append(
                    ComplaintEvent(
                        complaint=complaint,
                        at=now,
                        actor_label=system,
                        kind=ComplaintEvent.Kind.SEVERITY_RAISED,
                        before={"severity": SEVERITY_CODES[Severity(before)]},
                        after={"severity": SEVERITY_CODES[Severity(complaint.severity)]},
                        detail=str(Escalation.Reason(reason).label),
                    )
                )
                result.raised += 1
            target = complaint.escalation_level + 1
            if target in levels:
                escalations.append(
                    Escalation(complaint=complaint, level=target, reason=reason, detail=str(Escalation.Reason(reason).label))
                )
                events.append(
                    ComplaintEvent(
                        complaint=complaint,
                        at=now,
                        actor_label=system,
                        kind=ComplaintEvent.Kind.ESCALATED,
                        before={"escalation_level": complaint.escalation_level},
                        after={"escalation_level": target, "reason": reason},
                        detail=str(Escalation.Reason(reason).label),
                    )
                )
                complaint.escalation_level = target
                notices.append((complaint, levels[target], reason, f"complaint:{complaint.pk}:escalation:{target}"))
                result.escalations += 1
            elif raise_to is not None:
                notices.append(
                    (
                        complaint,
                        levels.get(max(levels)) if levels else None,
                        reason,
                        f"complaint:{complaint.pk}:severity:{complaint.severity}",
                    )
                )
            result.reasons[reason] += 1
        complaint.updated_at = now
    Escalation.objects.bulk_create(escalations, ignore_conflicts=True)
    ComplaintEvent.objects.bulk_create(events)
    from .webhooks import announce_many

    announce_many(events)  # the escalations' webhook events, in the batch's transaction
    _save_batch(complaints, recomputed=recomputed, fields=fields, now=now)
    # One batch of notifications for the whole batch of complaints (a fixed number of queries).
    notify_many(
        m for m in (_level_message(complaint=c, level=lv, staffing=staffing, reason=r, key=k) for c, lv, r, k in notices) if m is not None
    )
    result.complaints += len(complaints)
    result.batches += 1
    return max(_per_reason(breaches).values())


GROUPED_FIELDS = ("escalation_level", "first_response_breached", "resolution_breached", "severity")


def _save_batch(complaints: list[Complaint], *, recomputed: set[int], fields: set[str], now: datetime) -> None:
    """Write a batch back: rows with the same outcome share one UPDATE (a handful per batch);
    only rows whose due times were re-derived need their own values (one bulk UPDATE)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for complaint in complaints:
        if complaint.pk not in recomputed:
            groups[tuple(getattr(complaint, name) for name in GROUPED_FIELDS)].append(complaint.pk)
    for values, ids in groups.items():
        Complaint.objects.filter(pk__in=ids).update(
            **dict(zip(GROUPED_FIELDS, values, strict=True)), updated_at=now, version=F("version") + 1
        )
    rows = [c for c in complaints if c.pk in recomputed]
    for row in rows:
        row.version += 1  # the batch's rows are locked: a stale form or If-Match now conflicts
    if rows:
        Complaint.objects.bulk_update(rows, sorted({*fields, "version"}))


def _still_due(complaint: Complaint, reason: str, now: datetime) -> bool:
    """Re-check a claimed row in Python (it is locked, so this is its current state)."""
    due_field, _condition, raise_to = BREACHES[reason]
    due = getattr(complaint, due_field)
    if due is None or due >= now or complaint.status not in RUNNING:
        return False
    if reason == Escalation.Reason.FIRST_RESPONSE:
        return complaint.status == Complaint.Status.RECEIVED and not complaint.first_response_breached
    if reason == Escalation.Reason.RESOLUTION:
        return not complaint.resolution_breached
    return complaint.severity < raise_to


def _per_reason(breaches: dict[int, list[str]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for reasons in breaches.values():
        for reason in reasons:
            counts[reason] += 1
    return counts or {"": 0}
