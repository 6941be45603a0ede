"""Every write to a complaint: filing, the workflow actions, severity, revisits and cases.

Each workflow service locks the complaint row (``select_for_update``), returns early when the
complaint already is where the action would put it (so double clicks and retries are harmless),
checks ``Complaint.TRANSITIONS``, saves with ``update_fields`` and writes a timeline event in the
same transaction. Notifications and e-mails are scheduled with ``transaction.on_commit``.

Errors: ``django.core.exceptions.ValidationError`` for bad input (API 400, form errors),
``estates.workflow.InvalidTransition`` for an action the state does not allow (API 409) and its
subclass ``AuthorityExceeded`` when the actor's role may not take the action — in which case the
complaint has already gone one level up the ladder (in its own committed transaction).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estates.models import ApiClient, Customer, Department, Project, Unit, User
from estates.workflow import AuthorityExceeded, InvalidTransition, require_transition

from . import clusters, escalation, rules, sla
from .models import (
    CATEGORY_VALUES,
    CHANNEL_VALUES,
    DESCRIPTION_MAX,
    MAX_COMPLAINANTS,
    SEVERITY_CODES,
    TITLE_MAX,
    AuthorityLimit,
    Case,
    Complaint,
    ComplaintEvent,
    Escalation,
    Revisit,
    Severity,
)

Event = ComplaintEvent
Status = Complaint.Status

ACTION_LABELS = {
    "respond": gettext_lazy("respond"),
    "assign": gettext_lazy("assign"),
    "hold": gettext_lazy("hold"),
    "resume": gettext_lazy("resume"),
    "resolve": gettext_lazy("resolve"),
    "revisit": gettext_lazy("revisit"),
    "close": gettext_lazy("close"),
    "reopen": gettext_lazy("reopen"),
}


# --- Shared helpers --------------------------------------------------------------------------------


def actor_parts(actor) -> tuple[User | None, str]:
    """(user to link, label to keep): API clients and the system are kept by label only."""
    if actor is None:
        return None, "system"
    if isinstance(actor, ApiClient):
        return None, actor.username
    return actor, actor.display_name


def event_record(
    *,
    complaint: Complaint,
    actor,
    kind: str,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> ComplaintEvent:
    user, label = actor_parts(actor)
    return ComplaintEvent.objects.create(
        complaint=complaint,
        at=at or timezone.now(),
        actor=user,
        actor_label=label,
        kind=kind,
        before=before or {},
        after=after or {},
        detail=detail,
    )


def _lock(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().select_related("project").get(pk=complaint.pk)


def _require(complaint: Complaint, target: str, action: str) -> None:
    require_transition(Complaint.TRANSITIONS, complaint.status, target, action=str(ACTION_LABELS.get(action, action)))


def _text(value, *, field: str, max_length: int, required: bool = True) -> str:
    value = "" if value is None else str(value)
    if required and not value.strip():
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > max_length:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": max_length}]})
    return value


def _authority(actor) -> AuthorityLimit | None:
    """The actor's limits; None for superusers (no limit). Roles without a row get the handler's."""
    if getattr(actor, "is_superuser", False):
        return None
    role = getattr(actor, "role", None) or "cr_staff"
    limit = AuthorityLimit.objects.filter(role=role).first()
    return limit or AuthorityLimit.objects.filter(role="cr_staff").first()


def _refuse_beyond_authority(*, complaint: Complaint, actor, detail: str) -> None:
    """Report upward at once (避免升级): escalate in its own transaction, then refuse the action."""
    with transaction.atomic():
        locked = _lock(complaint)
        event_record(complaint=locked, actor=actor, kind=Event.Kind.AUTHORITY_EXCEEDED, detail=detail)
        # A repeated attempt (a double click) must not climb again: once reported at this level is enough.
        reported = Escalation.objects.filter(
            complaint=locked, level=locked.escalation_level, reason=Escalation.Reason.AUTHORITY
        ).exists()
        if not reported:
            escalation.escalate_one(complaint=locked, actor=actor, reason=Escalation.Reason.AUTHORITY, detail=detail)
    raise AuthorityExceeded(detail)


def _change_severity(
    complaint: Complaint, *, new: int, actor, kind: str, detail: str, book: sla.SlaBook | None = None
) -> list[str]:
    """Set the severity on a locked complaint, re-derive the policy and due times, write the event.

    Returns the changed field names (the caller saves). A tier change also changes the policy
    (a hot complaint is answered and resolved faster), so the due times follow it.
    """
    if new == complaint.severity:
        return []
    before = {"severity": SEVERITY_CODES[Severity(complaint.severity)]}
    complaint.severity = new
    changed = ["severity"]
    if complaint.held_since is None:
        holds = sla.holds_by_complaint([complaint.pk]).get(complaint.pk, [])
        changed += sla.apply_due_times(complaint, book=book or sla.SlaBook(), holds=holds)
    event_record(
        complaint=complaint,
        actor=actor,
        kind=kind,
        before=before,
        after={"severity": SEVERITY_CODES[Severity(new)]},
        detail=detail,
    )
    return changed


# --- Filing ----------------------------------------------------------------------------------------


def _validate_filing(
    *, project, unit, channel, category, title, description, complainant_count, customer, contact_name, contact_phone
) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, value, max_length in (("title", title, TITLE_MAX), ("description", description, DESCRIPTION_MAX)):
        try:
            cleaned[name] = _text(value, field=name, max_length=max_length)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if channel not in CHANNEL_VALUES:
        errors["channel"] = [_("Unknown channel.")]
    if category not in CATEGORY_VALUES:
        errors["category"] = [_("Unknown category.")]
    if (
        not isinstance(complainant_count, int)
        or isinstance(complainant_count, bool)
        or not 1 <= complainant_count <= MAX_COMPLAINANTS
    ):
        errors["complainant_count"] = [_("Between 1 and %(n)s.") % {"n": MAX_COMPLAINANTS}]
    if project is None:
        errors["project"] = [_("This field is required.")]
    if unit is not None and project is not None and unit.project_id != project.pk:
        errors["unit"] = [_("The unit belongs to another project.")]
    if len(contact_name or "") > 100:
        errors["contact_name"] = [_("At most %(n)s characters.") % {"n": 100}]
    if len(contact_phone or "") > 20:
        errors["contact_phone"] = [_("At most %(n)s characters.") % {"n": 20}]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def complaint_file(
    *,
    actor,
    project: Project,
    channel: str,
    category: str,
    title: str,
    description: str,
    unit: Unit | None = None,
    customer: Customer | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    complainant_count: int = 1,
    lawsuit_filed: bool = False,
    media_exposed: bool = False,
    legal_or_media_risk: bool = False,
    needs_outside_help: bool = False,
    motive: str = "",
    occurred_at: datetime | None = None,
    assignee: User | None = None,
    department: Department | None = None,
    repeat_of: Complaint | None = None,
    complainants=(),
) -> Complaint:
    """File a complaint: severity from the tier rules, due times from the SLA policy, a
    reference, a "filed" event, cluster membership (which may raise it and its siblings).

    Not idempotent by itself (every call files one complaint): API callers send an
    Idempotency-Key. Raises ValidationError for bad input and writes nothing then.
    """
    cleaned = _validate_filing(
        project=project,
        unit=unit,
        channel=channel,
        category=category,
        title=title,
        description=description,
        complainant_count=complainant_count,
        customer=customer,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    now = timezone.now()
    facts = rules.TierFacts(
        lawsuit_filed=lawsuit_filed,
        media_exposed=media_exposed,
        legal_or_media_risk=legal_or_media_risk,
        complainant_count=complainant_count,
        repeat=repeat_of is not None,
        needs_outside_help=needs_outside_help,
    )
    decision = rules.severity_for(facts, now=now)
    complaint = Complaint(
        project=project,
        unit=unit,
        building_id=unit.building_id if unit else None,
        customer=customer,
        contact_name=contact_name or (customer.name if customer else ""),
        contact_phone=contact_phone or (customer.phone if customer else ""),
        complainant_count=complainant_count,
        channel=channel,
        category=category,
        title=cleaned["title"],
        description=cleaned["description"],
        severity=decision.severity,
        lawsuit_filed=lawsuit_filed,
        media_exposed=media_exposed,
        legal_or_media_risk=legal_or_media_risk,
        needs_outside_help=needs_outside_help,
        motive=motive or "",
        occurred_at=occurred_at or now,
        assignee=assignee,
        department=department,
        repeat_of=repeat_of,
    )
    complaint.save()
    complaint.reference = f"TS{timezone.localtime(complaint.created_at):%y%m%d}-{complaint.pk:06d}"
    complaint.complainant_key = (
        rules.complainant_key(customer_id=customer.pk if customer else None, phone=contact_phone, name=contact_name)
        or f"anon:{complaint.pk}"
    )
    sla.apply_due_times(complaint, book=sla.SlaBook(), holds=[])
    complaint.save(
        update_fields=["reference", "complainant_key", "policy", "first_response_due", "resolution_due", "hot_at", "major_at"]
    )
    if complainants:
        complaint.complainants.set(complainants)
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.FILED,
        at=complaint.created_at,
        after={"severity": complaint.severity_code, "status": complaint.status, "reasons": list(decision.reasons)},
        detail=complaint.title,
    )
    clusters.cluster_attach(complaint=complaint, now=now)
    complaint.refresh_from_db()
    escalation.notify_filed(complaint=complaint)
    return complaint


# --- Workflow --------------------------------------------------------------------------------------


@transaction.atomic
def complaint_respond(*, complaint: Complaint, actor, message: str) -> Complaint:
    """Record the first response: received → in progress. Repeating it is a no-op."""
    message = _text(message, field="message", max_length=DESCRIPTION_MAX)
    complaint = _lock(complaint)
    if complaint.status == Status.IN_PROGRESS and complaint.first_responded_at is not None:
        return complaint
    _require(complaint, Status.IN_PROGRESS, "respond")
    if complaint.status != Status.RECEIVED:
        raise InvalidTransition(_("Only a received complaint can be responded to."))
    now = timezone.now()
    fields = ["status", "first_responded_at", "updated_at"]
    complaint.status, complaint.first_responded_at = Status.IN_PROGRESS, now
    user, _label = actor_parts(actor)
    after = {"status": Status.IN_PROGRESS}
    if complaint.assignee_id is None and user is not None:
        complaint.assignee = user  # someone is named responsible from the first answer on
        fields.append("assignee")
        after["assignee"] = user.username
    complaint.save(update_fields=fields)
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.RESPONDED,
        before={"status": Status.RECEIVED},
        after=after,
        detail=message,
        at=now,
    )
    return complaint


@transaction.atomic
def complaint_assign(*, complaint: Complaint, actor, assignee: User) -> Complaint:
    """Name the person responsible. Same assignee again is a no-op; a closed complaint is 409;
    an assignee who cannot see the project is a ValidationError."""
    from estates.access import project_in_scope

    if assignee is None or not assignee.is_active or not project_in_scope(assignee, complaint.project):
        raise ValidationError({"assignee": [_("This person does not work on the complaint's project.")]})
    complaint = _lock(complaint)
    if complaint.assignee_id == assignee.pk:
        return complaint
    if complaint.status == Status.CLOSED:
        raise InvalidTransition(_("A closed complaint cannot be reassigned; reopen it first."))
    before = {"assignee": complaint.assignee.username if complaint.assignee_id else None}
    complaint.assignee = assignee
    complaint.save(update_fields=["assignee", "updated_at"])
    event_record(complaint=complaint, actor=actor, kind=Event.Kind.ASSIGNED, before=before, after={"assignee": assignee.username})
    escalation.notify_assigned(complaint=complaint)
    return complaint


@transaction.atomic
def complaint_hold(*, complaint: Complaint, actor, reason: str) -> Complaint:
    """In progress → on hold (waiting on the customer or a third party): the clocks and the tier
    ages stop. Repeating it is a no-op."""
    reason = _text(reason, field="reason", max_length=2000)
    complaint = _lock(complaint)
    if complaint.status == Status.ON_HOLD:
        return complaint
    _require(complaint, Status.ON_HOLD, "hold")
    now = timezone.now()
    before = complaint.status
    complaint.status, complaint.held_since = Status.ON_HOLD, now
    complaint.save(update_fields=["status", "held_since", "updated_at"])
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.HELD,
        before={"status": before},
        after={"status": Status.ON_HOLD},
        detail=reason,
        at=now,
    )
    return complaint


@transaction.atomic
def complaint_resume(*, complaint: Complaint, actor) -> Complaint:
    """On hold → in progress: the clocks run again and every due time is recomputed from the
    timeline (pushed back by all time held, never drifted by accumulation). Repeating it is a no-op."""
    complaint = _lock(complaint)
    if complaint.status == Status.IN_PROGRESS:
        return complaint
    _require(complaint, Status.IN_PROGRESS, "resume")
    if complaint.status != Status.ON_HOLD:
        raise InvalidTransition(_("Only a complaint on hold can be resumed."))
    now = timezone.now()
    before = {
        "status": Status.ON_HOLD,
        "resolution_due": complaint.resolution_due.isoformat() if complaint.resolution_due else None,
    }
    held = int((now - complaint.held_since).total_seconds()) if complaint.held_since else 0
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.RESUMED,
        before=before,
        after={"status": Status.IN_PROGRESS},
        detail=_("On hold for %(minutes)s minutes.") % {"minutes": held // 60},
        at=now,
    )
    complaint.status, complaint.held_since = Status.IN_PROGRESS, None
    complaint.held_seconds = F("held_seconds") + held
    holds = sla.holds_by_complaint([complaint.pk]).get(complaint.pk, [])
    changed = sla.apply_due_times(complaint, book=sla.SlaBook(), holds=holds)
    complaint.save(update_fields=["status", "held_since", "held_seconds", "updated_at", *changed])
    complaint.refresh_from_db(fields=["held_seconds"])
    return complaint


def complaint_resolve(*, complaint: Complaint, actor, resolution: str, compensation: Decimal | int | str = 0) -> Complaint:
    """In progress → resolved, with what was done and any compensation paid. Repeating it is a
    no-op. Compensation beyond the actor's authority is refused (AuthorityExceeded) after the
    complaint has been escalated one level."""
    resolution = _text(resolution, field="resolution", max_length=DESCRIPTION_MAX)
    try:
        compensation = Decimal(str(compensation or 0))
    except InvalidOperation:
        raise ValidationError({"compensation": [_("Enter a number.")]}) from None
    if compensation < 0 or compensation >= Decimal("1e10"):
        raise ValidationError({"compensation": [_("Enter an amount between 0 and 9,999,999,999.")]})
    limit = _authority(actor)
    if limit is not None and compensation > limit.max_compensation and complaint.status == Status.IN_PROGRESS:
        _refuse_beyond_authority(
            complaint=complaint,
            actor=actor,
            detail=_("Compensation of %(amount)s yuan is beyond the %(limit)s yuan this role may grant; reported upward.")
            % {"amount": compensation, "limit": limit.max_compensation},
        )
    return _resolve(complaint=complaint, actor=actor, resolution=resolution, compensation=compensation)


@transaction.atomic
def _resolve(*, complaint, actor, resolution, compensation):
    complaint = _lock(complaint)
    if complaint.status == Status.RESOLVED:
        return complaint
    _require(complaint, Status.RESOLVED, "resolve")
    now = timezone.now()
    complaint.status, complaint.resolved_at, complaint.compensation = Status.RESOLVED, now, compensation
    book = sla.SlaBook()
    policy = book.policy(complaint.channel, complaint.severity)
    if policy is not None:
        complaint.revisit_due = rules.revisit_due(resolved_at=now, targets=book.targets(policy))
    complaint.save(update_fields=["status", "resolved_at", "compensation", "revisit_due", "updated_at"])
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.RESOLVED,
        before={"status": Status.IN_PROGRESS},
        after={"status": Status.RESOLVED, "compensation": str(compensation)},
        detail=resolution,
        at=now,
    )
    escalation.notify_status(complaint=complaint, kind="resolved")
    return complaint


@transaction.atomic
def complaint_revisit(*, complaint: Complaint, actor, satisfied: bool, score: int, note: str = "") -> Revisit:
    """Record the follow-up call (回访) on a resolved complaint. Each call is one record."""
    errors = {}
    if not isinstance(satisfied, bool):
        errors["satisfied"] = [_("Answer yes or no.")]
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        errors["score"] = [_("A score from 1 to 5.")]
    if len(note or "") > 2000:
        errors["note"] = [_("At most %(n)s characters.") % {"n": 2000}]
    if errors:
        raise ValidationError(errors)
    complaint = _lock(complaint)
    if complaint.status != Status.RESOLVED:
        raise InvalidTransition(_("A follow-up call is recorded on a resolved complaint."))
    user, _label = actor_parts(actor)
    now = timezone.now()
    revisit = Revisit.objects.create(
        complaint=complaint, satisfied=satisfied, score=score, note=note or "", actor=user, created_at=now
    )
    complaint.save(update_fields=["updated_at"])
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.REVISITED,
        after={"satisfied": satisfied, "score": score},
        detail=note or "",
        at=now,
    )
    return revisit


def complaint_close(*, complaint: Complaint, actor) -> Complaint:
    """Resolved → closed. Needs a follow-up call recorded since the resolution and, for a major
    complaint, a case write-up. Closing a tier beyond the actor's authority escalates and is refused.
    Repeating it is a no-op."""
    limit = _authority(actor)
    current = Complaint.objects.only("status", "severity").get(pk=complaint.pk)
    if limit is not None and current.status == Status.RESOLVED and current.severity > limit.max_close_severity:
        _refuse_beyond_authority(
            complaint=complaint,
            actor=actor,
            detail=_("Closing a %(severity)s complaint is beyond this role's authority; reported upward.")
            % {"severity": Severity(current.severity).label},
        )
    return _close(complaint=complaint, actor=actor)


@transaction.atomic
def _close(*, complaint, actor):
    complaint = _lock(complaint)
    if complaint.status == Status.CLOSED:
        return complaint
    _require(complaint, Status.CLOSED, "close")
    if not complaint.revisits.filter(created_at__gte=complaint.resolved_at).exists():
        raise InvalidTransition(_("Record the follow-up call before closing."))
    if complaint.severity == Severity.MAJOR and not Case.objects.filter(complaint=complaint).exists():
        raise InvalidTransition(_("A major complaint needs a case write-up before it can close."))
    now = timezone.now()
    complaint.status, complaint.closed_at = Status.CLOSED, now
    complaint.save(update_fields=["status", "closed_at", "updated_at"])
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.CLOSED,
        before={"status": Status.RESOLVED},
        after={"status": Status.CLOSED},
        at=now,
    )
    return complaint


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, actor, reason: str) -> Complaint:
    """Resolved or closed → in progress: a re-complaint after handling, so the severity becomes
    at least important. Repeating it (already in progress) is a no-op."""
    reason = _text(reason, field="reason", max_length=2000)
    complaint = _lock(complaint)
    if complaint.status == Status.IN_PROGRESS:
        return complaint
    _require(complaint, Status.IN_PROGRESS, "reopen")
    if complaint.status not in (Status.RESOLVED, Status.CLOSED):
        raise InvalidTransition(_("Only a resolved or closed complaint can be reopened."))
    before = {"status": complaint.status}
    complaint.status, complaint.resolved_at, complaint.closed_at, complaint.revisit_due = Status.IN_PROGRESS, None, None, None
    complaint.reopen_count += 1
    event_record(
        complaint=complaint,
        actor=actor,
        kind=Event.Kind.REOPENED,
        before=before,
        after={"status": Status.IN_PROGRESS, "reopen_count": complaint.reopen_count},
        detail=reason,
    )
    changed = _change_severity(
        complaint,
        new=rules.raise_only(complaint.severity, Severity.IMPORTANT),
        actor=actor,
        kind=Event.Kind.SEVERITY_RAISED,
        detail=_("Re-complaint after handling."),
    )
    complaint.save(
        update_fields=sorted({"status", "resolved_at", "closed_at", "revisit_due", "reopen_count", "updated_at", *changed})
    )
    escalation.notify_status(complaint=complaint, kind="reopened")
    return complaint


def complaint_escalate(*, complaint: Complaint, actor, reason: str) -> Escalation:
    """Send the complaint one level up the ladder by hand, with a reason. 409 at the top or when closed."""
    reason = _text(reason, field="reason", max_length=2000)
    with transaction.atomic():
        locked = _lock(complaint)
        if locked.status == Status.CLOSED:
            raise InvalidTransition(_("A closed complaint cannot be escalated."))
        result = escalation.escalate_one(complaint=locked, actor=actor, reason=Escalation.Reason.MANUAL, detail=reason)
        if result is None:
            raise InvalidTransition(_("The complaint is already at the top of the escalation ladder."))
        return result


@transaction.atomic
def complaint_set_severity(*, complaint: Complaint, actor, severity: int, reason: str) -> Complaint:
    """A manager sets the tier by hand, with a reason (the only way a tier goes down).
    Same tier is a no-op; roles without the right get AuthorityExceeded."""
    reason = _text(reason, field="reason", max_length=2000)
    if severity not in Severity.values:
        raise ValidationError({"severity": [_("Unknown severity.")]})
    limit = _authority(actor)
    if limit is not None and not limit.may_set_severity:
        raise AuthorityExceeded(_("Only a customer-relations manager may set the severity by hand."))
    complaint = _lock(complaint)
    if complaint.status == Status.CLOSED:
        raise InvalidTransition(_("A closed complaint's severity cannot be changed."))
    changed = _change_severity(complaint, new=severity, actor=actor, kind=Event.Kind.SEVERITY_SET, detail=reason)
    if changed:
        complaint.save(update_fields=[*changed, "updated_at"])
    return complaint


# --- Cases -----------------------------------------------------------------------------------------


@transaction.atomic
def case_write(*, complaint: Complaint, actor, title: str, background: str, causes: str, handling: str, lessons: str) -> Case:
    """Write or rewrite the complaint's case (one per complaint). Raises ValidationError on empty parts."""
    values = {
        name: _text(value, field=name, max_length=200 if name == "title" else 5000)
        for name, value in (
            ("title", title),
            ("background", background),
            ("causes", causes),
            ("handling", handling),
            ("lessons", lessons),
        )
    }
    user, _label = actor_parts(actor)
    complaint = _lock(complaint)
    case, created = Case.objects.update_or_create(
        complaint=complaint, defaults={**values, "project": complaint.project, "author": user}
    )
    event_record(
        complaint=complaint, actor=actor, kind=Event.Kind.CASE_WRITTEN, after={"created": created}, detail=values["title"]
    )
    return case


# --- SLA policies and calendars --------------------------------------------------------------------

RECOMPUTE_BATCH = 1000


@transaction.atomic
def sla_policy_update(*, policy, actor, **values):
    """Change a policy's targets, then recompute the due times of the open complaints it governs
    (after commit, in the worker). Unknown or invalid values raise ValidationError."""
    from .models import SlaPolicy

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
    from .models import WorkCalendar

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
    from .models import CalendarDay

    if kind not in CalendarDay.Kind.values:
        raise ValidationError({"kind": [_("Unknown kind.")]})
    day, _created = CalendarDay.objects.update_or_create(
        calendar=calendar, date=date, defaults={"kind": kind, "name": name[:100]}
    )
    schedule_recompute(policy_ids=list(calendar.policies.values_list("pk", flat=True)))
    return day


def schedule_recompute(*, policy_ids):
    from functools import partial

    from .tasks import complaints_recompute_due

    if policy_ids:
        transaction.on_commit(partial(complaints_recompute_due.delay, policy_ids=list(policy_ids)))


def complaints_recompute_due(*, policy_ids) -> int:
    """Recompute every stored due time of the unclosed complaints under the given policies, in
    batches with a fixed number of queries each; writes a timeline event where a time moved.
    Idempotent: a second run finds nothing to change."""
    from .models import SlaPolicy

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
