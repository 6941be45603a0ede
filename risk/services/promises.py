"""The sales-promise register (承诺登记): register, verify before delivery, change only in writing."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Milestone, Project
from estates.workflow import InvalidTransition, require_transition

from ..models import Event, PromiseChange, SalesPromise
from .checks import local_today, require_choice, require_text
from .events import event_record

VERIFY_RESULTS = (SalesPromise.Status.KEPT, SalesPromise.Status.AT_RISK, SalesPromise.Status.BROKEN)


@transaction.atomic
def promise_register(*, project: Project, source: str, wording: str, kano: str, due_milestone: str, actor) -> SalesPromise:
    """Register a promise made in an ad, a brochure, a show unit, a contract or by sales staff.

    Raises ValidationError for an unknown source, KANO class or milestone, or empty wording.
    """
    require_choice("source", source, SalesPromise.Source)
    require_choice("kano", kano, SalesPromise.Kano)
    require_choice("due_milestone", due_milestone, Milestone.Kind)
    wording = require_text("wording", wording)
    promise = SalesPromise.objects.create(project=project, source=source, wording=wording, kano=kano, due_milestone=due_milestone)
    event_record(
        subject=Event.Subject.PROMISE,
        subject_id=promise.pk,
        project=project,
        kind="registered",
        actor=actor,
        after={"source": source, "kano": kano, "due_milestone": due_milestone},
        detail=wording,
    )
    return promise


@transaction.atomic
def promise_verify(*, promise: SalesPromise, result: str, note: str, actor) -> SalesPromise:
    """Record a verification (kept / at risk / broken) with a note saying what was checked.

    "Changed" is not a verification result: it is reached only by a confirmed change. Verifying to
    the current status again updates the note without a status event.
    """
    require_choice("result", result, VERIFY_RESULTS)
    note = require_text("note", note, _("Say what was checked."))
    promise = SalesPromise.objects.select_for_update().select_related("project").get(pk=promise.pk)
    before = promise.status
    if before != result:
        require_transition(SalesPromise.TRANSITIONS, before, result, action=_("verify"))
    promise.status, promise.verification_note, promise.verified_at = result, note, timezone.now()
    promise.save(update_fields=["status", "verification_note", "verified_at", "updated_at"])
    event_record(
        subject=Event.Subject.PROMISE,
        subject_id=promise.pk,
        project=promise.project,
        kind="verified",
        actor=actor,
        before={"status": before},
        after={"status": result},
        detail=note,
    )
    return promise


@transaction.atomic
def promise_change_propose(*, promise: SalesPromise, new_wording: str, reason: str, actor, impact: str = "") -> PromiseChange:
    """Step 1: propose a change (the new wording, why, and its effect). One change may be under way at a time.

    The promise itself does not change until the change is confirmed in writing. Raises
    InvalidTransition when a change is already under way, ValidationError on missing text.
    """
    new_wording = require_text("new_wording", new_wording)
    reason = require_text("reason", reason)
    promise = SalesPromise.objects.select_for_update().select_related("project").get(pk=promise.pk)
    if promise.changes.filter(status__in=[PromiseChange.Status.PROPOSED, PromiseChange.Status.NEGOTIATING]).exists():
        raise InvalidTransition(_("A change of this promise is already under way."))
    change = PromiseChange.objects.create(
        promise=promise, old_wording=promise.wording, new_wording=new_wording, reason=reason, impact=impact or ""
    )
    event_record(
        subject=Event.Subject.PROMISE,
        subject_id=promise.pk,
        project=promise.project,
        kind="change_proposed",
        actor=actor,
        after={"change": change.pk, "new_wording": new_wording},
        detail=reason,
    )
    return change


def _change_move(change: PromiseChange, target: str, *, action: str, actor, kind: str, detail: str, **fields) -> PromiseChange:
    change = PromiseChange.objects.select_for_update().select_related("promise__project").get(pk=change.pk)
    if change.status == target:
        return change
    require_transition(PromiseChange.TRANSITIONS, change.status, target, action=action)
    before = change.status
    change.status = target
    for k, v in fields.items():
        setattr(change, k, v)
    change.save(update_fields=["status", *fields, "updated_at"])
    event_record(
        subject=Event.Subject.PROMISE,
        subject_id=change.promise_id,
        project=change.promise.project,
        kind=kind,
        actor=actor,
        before={"change": change.pk, "status": before},
        after={"change": change.pk, "status": target},
        detail=detail,
    )
    return change


@transaction.atomic
def promise_change_negotiate(*, change: PromiseChange, note: str, actor) -> PromiseChange:
    """Step 2: record the negotiation with the buyers (proposed → negotiating). A note is required."""
    note = require_text("note", note)
    return _change_move(
        change,
        PromiseChange.Status.NEGOTIATING,
        action=_("negotiate"),
        actor=actor,
        kind="change_negotiating",
        detail=note,
        negotiation_note=note,
    )


@transaction.atomic
def promise_change_confirm(
    *, change: PromiseChange, confirmation_document: str, confirmed_on: date | None, actor
) -> PromiseChange:
    """Step 3: the written confirmation (书面确认). Only now does the promise take the new wording.

    Requires the document reference and its date (not in the future): ValidationError otherwise.
    Raises InvalidTransition when the change was not negotiated first. Repeating is a no-op.
    """
    confirmation_document = require_text(
        "confirmation_document", confirmation_document, _("A change needs the buyers' written confirmation.")
    )
    if confirmed_on is None:
        raise ValidationError({"confirmed_on": [_("Enter the date of the written confirmation.")]})
    if confirmed_on > local_today():
        raise ValidationError({"confirmed_on": [_("The confirmation cannot be dated in the future.")]})
    current = PromiseChange.objects.only("status").get(pk=change.pk)
    if current.status == PromiseChange.Status.CONFIRMED:
        return current
    change = _change_move(
        change,
        PromiseChange.Status.CONFIRMED,
        action=_("confirm"),
        actor=actor,
        kind="change_confirmed",
        detail=confirmation_document,
        confirmation_document=confirmation_document[:200],
        confirmed_on=confirmed_on,
    )
    promise = SalesPromise.objects.select_for_update().get(pk=change.promise_id)
    before = {"status": promise.status, "wording": promise.wording}
    promise.wording, promise.status = change.new_wording, SalesPromise.Status.CHANGED
    promise.save(update_fields=["wording", "status", "updated_at"])
    event_record(
        subject=Event.Subject.PROMISE,
        subject_id=promise.pk,
        project=change.promise.project,
        kind="changed",
        actor=actor,
        before=before,
        after={"status": promise.status, "wording": promise.wording},
        detail=confirmation_document,
    )
    return change


@transaction.atomic
def promise_change_reject(*, change: PromiseChange, reason: str, actor) -> PromiseChange:
    """Drop a proposed or negotiated change; the promise keeps its wording. A reason is required."""
    reason = require_text("reason", reason)
    return _change_move(
        change, PromiseChange.Status.REJECTED, action=_("reject"), actor=actor, kind="change_rejected", detail=reason
    )
