"""The workflow actions: respond, assign, hold, resume, resolve, revisit, close, reopen, escalate, set severity."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import User
from estates.workflow import AuthorityExceeded, InvalidTransition

from .. import escalation, rules, sla
from ..models import (
    DESCRIPTION_MAX,
    Case,
    Complaint,
    Escalation,
    Revisit,
    Severity,
)
from .common import (
    Event,
    Status,
    _authority,
    _change_severity,
    _lock,
    _refuse_beyond_authority,
    _require,
    _text,
    actor_parts,
    event_record,
)

# --- Workflow --------------------------------------------------------------------------------------


@transaction.atomic
def complaint_respond(*, complaint: Complaint, actor, message: str, expected_version=None) -> Complaint:
    """Record the first response: received → in progress. Repeating it is a no-op."""
    message = _text(message, field="message", max_length=DESCRIPTION_MAX)
    complaint = _lock(complaint, expected_version)
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
def complaint_assign(*, complaint: Complaint, actor, assignee: User, expected_version=None) -> Complaint:
    """Name the person responsible. Same assignee again is a no-op; a closed complaint is 409;
    an assignee who cannot see the project is a ValidationError."""
    from estates.access import project_in_scope

    if assignee is None or not assignee.is_active or not project_in_scope(assignee, complaint.project):
        raise ValidationError({"assignee": [_("This person does not work on the complaint's project.")]})
    complaint = _lock(complaint, expected_version)
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
def complaint_hold(*, complaint: Complaint, actor, reason: str, expected_version=None) -> Complaint:
    """In progress → on hold (waiting on the customer or a third party): the clocks and the tier
    ages stop. Repeating it is a no-op."""
    reason = _text(reason, field="reason", max_length=2000)
    complaint = _lock(complaint, expected_version)
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
def complaint_resume(*, complaint: Complaint, actor, expected_version=None) -> Complaint:
    """On hold → in progress: the clocks run again and every due time is recomputed from the
    timeline (pushed back by all time held, never drifted by accumulation). Repeating it is a no-op."""
    complaint = _lock(complaint, expected_version)
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


def complaint_resolve(
    *, complaint: Complaint, actor, resolution: str, compensation: Decimal | int | str = 0, expected_version=None
) -> Complaint:
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
            expected_version=expected_version,
        )
    return _resolve(
        complaint=complaint, actor=actor, resolution=resolution, compensation=compensation, expected_version=expected_version
    )


@transaction.atomic
def _resolve(*, complaint, actor, resolution, compensation, expected_version=None):
    complaint = _lock(complaint, expected_version)
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
def complaint_revisit(
    *, complaint: Complaint, actor, satisfied: bool, score: int, note: str = "", expected_version=None
) -> Revisit:
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
    complaint = _lock(complaint, expected_version)
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


def complaint_close(*, complaint: Complaint, actor, expected_version=None) -> Complaint:
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
            expected_version=expected_version,
        )
    return _close(complaint=complaint, actor=actor, expected_version=expected_version)


@transaction.atomic
def _close(*, complaint, actor, expected_version=None):
    complaint = _lock(complaint, expected_version)
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
def complaint_reopen(*, complaint: Complaint, actor, reason: str, expected_version=None) -> Complaint:
    """Resolved or closed → in progress: a re-complaint after handling, so the severity becomes
    at least important. Repeating it (already in progress) is a no-op."""
    reason = _text(reason, field="reason", max_length=2000)
    complaint = _lock(complaint, expected_version)
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


def complaint_escalate(*, complaint: Complaint, actor, reason: str, expected_version=None) -> Escalation:
    """Send the complaint one level up the ladder by hand, with a reason. 409 at the top or when closed."""
    reason = _text(reason, field="reason", max_length=2000)
    with transaction.atomic():
        locked = _lock(complaint, expected_version)
        if locked.status == Status.CLOSED:
            raise InvalidTransition(_("A closed complaint cannot be escalated."))
        result = escalation.escalate_one(complaint=locked, actor=actor, reason=Escalation.Reason.MANUAL, detail=reason)
        if result is None:
            raise InvalidTransition(_("The complaint is already at the top of the escalation ladder."))
        return result


@transaction.atomic
def complaint_set_severity(*, complaint: Complaint, actor, severity: int, reason: str, expected_version=None) -> Complaint:
    """A manager sets the tier by hand, with a reason (the only way a tier goes down).
    Same tier is a no-op; roles without the right get AuthorityExceeded."""
    reason = _text(reason, field="reason", max_length=2000)
    if severity not in Severity.values:
        raise ValidationError({"severity": [_("Unknown severity.")]})
    limit = _authority(actor)
    if limit is not None and not limit.may_set_severity:
        raise AuthorityExceeded(_("Only a customer-relations manager may set the severity by hand."))
    complaint = _lock(complaint, expected_version)
    if complaint.status == Status.CLOSED:
        raise InvalidTransition(_("A closed complaint's severity cannot be changed."))
    changed = _change_severity(complaint, new=severity, actor=actor, kind=Event.Kind.SEVERITY_SET, detail=reason)
    if changed:
        complaint.save(update_fields=[*changed, "updated_at"])
    return complaint
