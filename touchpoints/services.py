"""Every write of the touchpoints app: catalogue edits, project checks, follow-ups, contacts."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import GROUP_ROLES, Contract, Customer, Project
from risk import selectors as risk_selectors
from risk import services as risk_services

from . import rules
from .models import CustomerContact, FollowUp, PointCheck, SensitivityPoint, Touchpoint, TouchpointEvent

# A sales system's clock may run slightly ahead of ours; beyond this a contact "in the future" is refused.
CLOCK_SKEW = timedelta(minutes=5)


def actor_label(actor) -> str:
    return getattr(actor, "username", None) or str(actor)


def can_edit_catalogue(actor) -> bool:
    """The group customer-relations centre owns the catalogue (and administrators)."""
    return bool(getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in GROUP_ROLES)


def _require_catalogue_editor(actor) -> None:
    if not can_edit_catalogue(actor):
        raise PermissionDenied(_("Only the group customer-relations centre may edit the catalogue."))


def _event(*, kind, actor, project=None, touchpoint=None, point=None, before=None, after=None, detail="") -> TouchpointEvent:
    return TouchpointEvent.objects.create(
        kind=kind,
        actor=actor_label(actor),
        project=project,
        touchpoint=touchpoint,
        point=point,
        before=before or {},
        after=after or {},
        detail=detail,
    )


def _snapshot(obj, fields) -> dict:
    if obj is None:
        return {}
    data = model_to_dict(obj, fields=fields)
    return {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}


TOUCHPOINT_FIELDS = ["stage", "code", "name", "name_en", "description", "department", "order", "is_active"]
POINT_FIELDS = ["touchpoint", "code", "name", "name_en", "grade", "standard", "standard_en", "order", "is_active"]


@transaction.atomic
def touchpoint_save(*, actor, touchpoint: Touchpoint) -> Touchpoint:
    """Create or update a touchpoint from an unsaved or edited instance (a ModelForm's ``commit=False``).

    Only the group centre may do it (PermissionDenied otherwise). Validates the whole record
    (ValidationError: unknown stage, duplicate code ...). Saving an unchanged record writes no event.
    """
    _require_catalogue_editor(actor)
    touchpoint.full_clean()
    before = (
        _snapshot(Touchpoint.objects.select_for_update().filter(pk=touchpoint.pk).first(), TOUCHPOINT_FIELDS)
        if touchpoint.pk
        else {}
    )
    after = _snapshot(touchpoint, TOUCHPOINT_FIELDS)
    if before == after:
        return touchpoint
    touchpoint.save()
    _event(kind=TouchpointEvent.Kind.TOUCHPOINT_SAVED, actor=actor, touchpoint=touchpoint, before=before, after=after)
    return touchpoint


@transaction.atomic
def sensitivity_point_save(*, actor, point: SensitivityPoint) -> SensitivityPoint:
    """Create or update a sensitivity point; same contract as ``touchpoint_save`` (grade must be A/B/C)."""
    _require_catalogue_editor(actor)
    point.full_clean()
    before = _snapshot(SensitivityPoint.objects.select_for_update().filter(pk=point.pk).first(), POINT_FIELDS) if point.pk else {}
    after = _snapshot(point, POINT_FIELDS)
    if before == after:
        return point
    point.save()
    _event(
        kind=TouchpointEvent.Kind.POINT_SAVED, actor=actor, touchpoint=point.touchpoint, point=point, before=before, after=after
    )
    return point


def _lock_or_create_check(*, project: Project, point: SensitivityPoint, defaults: dict) -> tuple[PointCheck, bool]:
    check = PointCheck.objects.select_for_update().filter(project=project, point=point).first()
    if check is not None:
        return check, False
    try:
        with transaction.atomic():
            return PointCheck.objects.create(project=project, point=point, **defaults), True
    except IntegrityError:
        # Someone answered the same point at the same moment: work on their row.
        return PointCheck.objects.select_for_update().get(project=project, point=point), False


@transaction.atomic
def point_check_record(*, actor, project: Project, point: SensitivityPoint, status: str, evidence: str) -> PointCheck:
    """Answer one sensitivity point for a project: met, issue or not applicable, with evidence.

    The caller has resolved ``project`` through a scoped selector. Raises ValidationError for
    an unknown status or blank evidence (nothing written). Repeating the same answer is a
    no-op; a change writes a CHECK_ANSWERED event with before/after. An issue on an A-point
    opens (or reopens) the check's follow-up in the same transaction.
    """
    evidence = (evidence or "").strip()
    errors = {}
    if status not in PointCheck.Status.values:
        errors["status"] = [_("Choose met, issue or not applicable.")]
    if not evidence:
        errors["evidence"] = [_("Record the evidence or the reason for this answer.")]
    if not point.is_active:
        errors["point"] = [_("This sensitivity point is no longer in use.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    check, created = _lock_or_create_check(
        project=project,
        point=point,
        defaults={"status": status, "evidence": evidence, "checked_by": _user_or_none(actor), "checked_at": now},
    )
    before = {} if created else {"status": check.status, "evidence": check.evidence}
    if not created:
        if check.status == status and check.evidence == evidence:
            return check
        check.status, check.evidence, check.checked_by, check.checked_at = status, evidence, _user_or_none(actor), now
        check.save(update_fields=["status", "evidence", "checked_by", "checked_at"])
    _event(
        kind=TouchpointEvent.Kind.CHECK_ANSWERED,
        actor=actor,
        project=project,
        touchpoint=point.touchpoint,
        point=point,
        before=before,
        after={"status": status, "evidence": evidence},
    )
    if rules.opens_follow_up(grade=point.grade, status=status):
        follow_up_open(actor=actor, check=check)
    return check


def _user_or_none(actor):
    from estates.models import User

    return actor if isinstance(actor, User) else None


@transaction.atomic
def follow_up_open(*, actor, check: PointCheck) -> FollowUp:
    """Follow up an A-point issue in the risk register; exactly one follow-up per check.

    First time: creates the FollowUp (a OneToOne decides between two workers) and opens a
    high-level risk-register item (risk.services.risk_item_open, origin "touchpoints") whose id it
    keeps. Later issues on the same check keep that one item active: a closed item is reopened
    with the new evidence as the reason, an active one gets the evidence as a follow-up note (跟).
    A locally closed follow-up is reopened. Returns the follow-up.
    """
    point = check.point
    follow_up = FollowUp.objects.select_for_update().filter(check_record=check).first()
    if follow_up is None:
        title = _("%(code)s %(name)s: issue at %(project)s") % {"code": point.code, "name": point.name, "project": check.project.name}
        try:
            with transaction.atomic():
                follow_up = FollowUp.objects.create(
                    project=check.project, check_record=check, title=title[:250], opened_by=_user_or_none(actor)
                )
        except IntegrityError:
            return FollowUp.objects.get(check_record=check)
        follow_up.risk_item_id = _risk_item_open(actor=actor, check=check, title=title).pk
        follow_up.save(update_fields=["risk_item_id", "updated_at"])
    else:
        _risk_item_keep_active(actor=actor, follow_up=follow_up, check=check)
        if follow_up.status == FollowUp.Status.OPEN:
            return follow_up  # still open here: the register's timeline has the new finding
        follow_up.status, follow_up.closed_at = FollowUp.Status.OPEN, None
        follow_up.save(update_fields=["status", "closed_at", "updated_at"])
    _event(
        kind=TouchpointEvent.Kind.FOLLOW_UP_OPENED,
        actor=actor,
        project=check.project,
        point=point,
        touchpoint=point.touchpoint,
        detail=follow_up.title,
        after={"risk_item": follow_up.risk_item_id},
    )
    return follow_up


def _risk_item_open(*, actor, check: PointCheck, title: str):
    point = check.point
    source, customer_view = rules.risk_classification(stage=point.touchpoint.stage)
    description = _("Sensitivity point %(code)s (grade A): %(name)s\nStandard: %(standard)s\nFinding: %(evidence)s") % {
        "code": point.code, "name": point.name, "standard": point.standard, "evidence": check.evidence,
    }
    return risk_services.risk_item_open(
        project=check.project,
        title=title[:200],
        source=source,
        customer_view=customer_view,
        level="high",
        deadline=timezone.localdate() + timedelta(days=rules.FOLLOW_UP_DAYS),
        actor=actor,
        origin="touchpoints",
        description=description,
    )


def _risk_item_keep_active(*, actor, follow_up: FollowUp, check: PointCheck) -> None:
    item = risk_selectors.risk_item_list(actor=actor).filter(pk=follow_up.risk_item_id).first() if follow_up.risk_item_id else None
    if item is None:
        # Opened before the register existed, or the item is gone: open one now.
        follow_up.risk_item_id = _risk_item_open(actor=actor, check=check, title=follow_up.title).pk
        follow_up.save(update_fields=["risk_item_id", "updated_at"])
    elif item.is_active:
        risk_services.risk_item_follow_up(item=item, actor=actor, note=check.evidence)
    else:
        risk_services.risk_item_reopen(item=item, actor=actor, reason=check.evidence)


@transaction.atomic
def follow_up_close(*, actor, follow_up: FollowUp, note: str = "") -> FollowUp:
    """Close a follow-up. Closing a closed one is a no-op (conditional UPDATE decides)."""
    changed = FollowUp.objects.filter(pk=follow_up.pk, status=FollowUp.Status.OPEN).update(
        status=FollowUp.Status.CLOSED, closed_at=timezone.now(), updated_at=timezone.now()
    )
    follow_up.refresh_from_db()
    if changed:
        _event(kind=TouchpointEvent.Kind.FOLLOW_UP_CLOSED, actor=actor, project=follow_up.project, detail=note)
    return follow_up


@transaction.atomic
def contact_log(
    *,
    actor,
    customer: Customer,
    project: Project,
    channel: str,
    direction: str,
    summary: str,
    sentiment: str = CustomerContact.Sentiment.NEUTRAL,
    touchpoint: Touchpoint | None = None,
    occurred_at: datetime | None = None,
) -> CustomerContact:
    """Record one contact with a customer (客户接触记录).

    The caller has resolved ``customer`` and ``project`` within the actor's scope. Raises
    ValidationError (nothing written) when the customer holds no contract in the project, the
    summary is blank, a choice is unknown or the time lies in the future. Not idempotent by
    itself: API clients send an Idempotency-Key to make a retry harmless.
    """
    summary = (summary or "").strip()
    now = timezone.now()
    occurred_at = occurred_at or now
    errors = {}
    if not summary:
        errors["summary"] = [_("Describe the contact.")]
    if channel not in CustomerContact.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if direction not in CustomerContact.Direction.values:
        errors["direction"] = [_("Unknown direction.")]
    if sentiment not in CustomerContact.Sentiment.values:
        errors["sentiment"] = [_("Unknown sentiment.")]
    if occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = [_("A contact cannot lie in the future.")]
    if touchpoint is not None and not touchpoint.is_active:
        errors["touchpoint"] = [_("This touchpoint is no longer in use.")]
    if not Contract.objects.filter(project=project, customers=customer).exists():
        errors["customer"] = [_("This customer holds no contract in the project.")]
    if errors:
        raise ValidationError(errors)
    contact = CustomerContact.objects.create(
        customer=customer,
        project=project,
        touchpoint=touchpoint,
        channel=channel,
        direction=direction,
        summary=summary,
        sentiment=sentiment,
        staff=_user_or_none(actor),
        source=actor_label(actor)[:120],
        occurred_at=occurred_at,
    )
    _event(
        kind=TouchpointEvent.Kind.CONTACT_LOGGED,
        actor=actor,
        project=project,
        touchpoint=touchpoint,
        after={"contact": contact.pk, "customer": customer.pk, "channel": channel},
    )
    return contact
