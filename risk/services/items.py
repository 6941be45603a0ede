"""The risk register (风险预控表): open, update, chase (盯), close (关), follow (跟)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Project, User
from estates.notifications import notify
from estates.workflow import InvalidTransition, StaleVersion, require_transition

from ..models import Event, RiskItem
from .checks import require_choice, require_future_deadline, require_owner, require_text
from .events import actor_user_and_label, event_record

EDITABLE_FIELDS = ("title", "description", "source", "customer_view", "level", "measures", "owner", "deadline")


def _notify_owner_assigned(item: RiskItem) -> None:
    if item.owner_id is None:
        return
    notify(
        recipients=[item.owner],
        kind="risk_item_assigned",
        project=item.project,
        title=_("Risk item assigned to you: %(title)s") % {"title": item.title},
        body=_("Deadline %(deadline)s.") % {"deadline": item.deadline.isoformat()},
        url=reverse("risk:item-detail", args=[item.pk]),
        dedupe_key=f"risk:item:{item.pk}:assigned:{item.owner_id}",
    )


def _snapshot(item: RiskItem, fields) -> dict:
    out = {}
    for f in fields:
        value = getattr(item, "owner_id" if f == "owner" else f)
        out[f] = value.isoformat() if isinstance(value, date) else value
    return out


@transaction.atomic
def risk_item_open(
    *,
    project: Project,
    title: str,
    source: str,
    customer_view: str,
    level: str,
    deadline: date,
    actor,
    owner: User | None = None,
    origin: str = "manual",
    description: str = "",
    measures: str = "",
    review=None,
    answer=None,
) -> RiskItem:
    """Open a risk-register item. Other apps call this (touchpoints for A-point issues: origin="touchpoints").

    Validates every field first and writes nothing when one is bad: ValidationError keyed by field
    for an empty title, an unknown source / customer view / level, a deadline in the past (today is
    allowed) or an owner who is not active staff of the project. Not idempotent: each call opens
    an item (callers that may repeat keep their own reference to the item they opened).
    Writes an "opened" event and notifies the owner.
    """
    title = require_text("title", title)
    require_choice("source", source, RiskItem.Source)
    require_choice("customer_view", customer_view, RiskItem.CustomerView)
    require_choice("level", level, RiskItem.Level)
    require_future_deadline(deadline)
    require_owner(owner, project)
    _, label = actor_user_and_label(actor)
    item = RiskItem.objects.create(
        project=project,
        review=review,
        answer=answer,
        origin=(origin or "manual")[:40],
        title=title[:200],
        description=description or "",
        source=source,
        customer_view=customer_view,
        level=level,
        measures=measures or "",
        owner=owner,
        deadline=deadline,
        created_by_label=label[:150],
    )
    event_record(
        subject=Event.Subject.ITEM,
        subject_id=item.pk,
        project=project,
        kind="opened",
        actor=actor,
        after=_snapshot(item, EDITABLE_FIELDS),
        detail=origin or "",
    )
    _notify_owner_assigned(item)
    return item


@transaction.atomic
def risk_item_update(*, item: RiskItem, actor, expected_version=None, **changes) -> RiskItem:
    """Change the measures, owner, deadline, level or wording of an active item.

    Only ``EDITABLE_FIELDS`` may change; a new deadline must not be in the past, and moving the
    deadline clears the escalation so that the new deadline is chased afresh. Fields that do not
    change are ignored; when nothing changes no event is written (repeating is harmless).
    Raises InvalidTransition on a closed item, ValidationError on bad values (nothing written),
    StaleVersion when ``expected_version`` (the form's or If-Match's: an int or a collection of
    ints) is no longer the item's — someone saved in between (optimistic locking).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    item = RiskItem.objects.select_for_update().select_related("project").get(pk=item.pk)
    if expected_version is not None:
        expected = {expected_version} if isinstance(expected_version, int) else set(expected_version)
        if item.version not in expected:
            raise StaleVersion(
                _("This risk item was changed by someone else after you opened it. Review the current state and save again.")
            )
    if not item.is_active:
        raise InvalidTransition(_("A closed risk item cannot be edited; reopen it first."))
    changed = [f for f, v in changes.items() if (item.owner if f == "owner" else getattr(item, f)) != v]
    if not changed:
        return item
    if "title" in changed:
        changes["title"] = require_text("title", changes["title"])
    for field, enum in (("source", RiskItem.Source), ("customer_view", RiskItem.CustomerView), ("level", RiskItem.Level)):
        if field in changed:
            require_choice(field, changes[field], enum)
    if "deadline" in changed:
        require_future_deadline(changes["deadline"])
    if "owner" in changed:
        require_owner(changes["owner"], item.project)
    before = _snapshot(item, changed)
    for f in changed:
        setattr(item, f, changes[f])
    fields = [*changed, "updated_at"]
    if "deadline" in changed:
        item.escalated_at = None
        fields.append("escalated_at")
    item.save(update_fields=fields)
    event_record(
        subject=Event.Subject.ITEM,
        subject_id=item.pk,
        project=item.project,
        kind="updated",
        actor=actor,
        before=before,
        after=_snapshot(item, changed),
    )
    if "owner" in changed:
        _notify_owner_assigned(item)
    return item


def _move(item: RiskItem, target: str, *, actor, action: str, kind: str, detail: str = "", extra: dict | None = None) -> RiskItem:
    item = RiskItem.objects.select_for_update().select_related("project").get(pk=item.pk)
    if item.status == target:
        return item
    require_transition(RiskItem.TRANSITIONS, item.status, target, action=action)
    before = item.status
    item.status = target
    for k, v in (extra or {}).items():
        setattr(item, k, v)
    item.save(update_fields=["status", *(extra or {}), "updated_at"])
    event_record(
        subject=Event.Subject.ITEM,
        subject_id=item.pk,
        project=item.project,
        kind=kind,
        actor=actor,
        before={"status": before},
        after={"status": target},
        detail=detail,
    )
    return item


@transaction.atomic
def risk_item_start(*, item: RiskItem, actor) -> RiskItem:
    """The owner starts carrying out the measures (open → in progress). Repeating is a no-op."""
    return _move(item, RiskItem.Status.IN_PROGRESS, actor=actor, action=_("start"), kind="started")


@transaction.atomic
def risk_item_close(*, item: RiskItem, actor, closing_note: str) -> RiskItem:
    """Close the item (关). A closing note saying what was done is required (ValidationError, nothing written).

    Closing a closed item is a no-op.
    """
    closing_note = require_text("closing_note", closing_note, _("Say how the risk was dealt with before closing it."))
    return _move(
        item,
        RiskItem.Status.CLOSED,
        actor=actor,
        action=_("close"),
        kind="closed",
        detail=closing_note,
        extra={"closing_note": closing_note, "closed_at": timezone.now()},
    )


@transaction.atomic
def risk_item_reopen(*, item: RiskItem, actor, reason: str, deadline: date | None = None) -> RiskItem:
    """Reopen a closed item when following up (跟) shows the measures did not hold.

    A reason is required; an optional new deadline must not be in the past. Raises
    InvalidTransition when the item is not closed.
    """
    reason = require_text("reason", reason)
    if deadline is not None:
        require_future_deadline(deadline)
    current = RiskItem.objects.only("status").get(pk=item.pk)
    if current.status != RiskItem.Status.CLOSED:
        raise InvalidTransition(_("Only a closed risk item can be reopened."))
    extra = {"closing_note": "", "closed_at": None}
    if deadline is not None:
        extra.update(deadline=deadline, escalated_at=None)
    return _move(item, RiskItem.Status.IN_PROGRESS, actor=actor, action=_("reopen"), kind="reopened", detail=reason, extra=extra)


@transaction.atomic
def risk_item_follow_up(*, item: RiskItem, actor, note: str) -> Event:
    """Record a follow-up (跟) on the item's timeline: a call, a site visit, progress seen."""
    note = require_text("note", note)
    return event_record(
        subject=Event.Subject.ITEM, subject_id=item.pk, project=item.project, kind="follow_up", actor=actor, detail=note
    )
