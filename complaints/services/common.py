"""What every complaint service shares: the actor, events, locking, text checks, authority, severity."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from estates.models import ApiClient, User
from estates.workflow import AuthorityExceeded, StaleVersion, require_transition

from .. import escalation, sla
from ..models import (
    SEVERITY_CODES,
    AuthorityLimit,
    Complaint,
    ComplaintEvent,
    Escalation,
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
    from ..webhooks import announce

    user, label = actor_parts(actor)
    event = ComplaintEvent.objects.create(
        complaint=complaint,
        at=at or timezone.now(),
        actor=user,
        actor_label=label,
        kind=kind,
        before=before or {},
        after=after or {},
        detail=detail,
    )
    announce(complaint=complaint, event=event)  # the webhook events, in the same transaction
    return event


def _lock(complaint: Complaint, expected_version=None) -> Complaint:
    """Lock the row for the service's transaction; with ``expected_version`` (the version the caller's
    form or If-Match saw: an int or a collection of ints) refuse with StaleVersion if it moved since."""
    locked = Complaint.objects.select_for_update().select_related("project").get(pk=complaint.pk)
    if expected_version is not None:
        expected = {expected_version} if isinstance(expected_version, int) else set(expected_version)
        if locked.version not in expected:
            raise StaleVersion(stale_message())
    return locked


def stale_message() -> str:
    return _("This complaint was changed by someone else after you opened it. Review the current state and submit again.")


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


def _refuse_beyond_authority(*, complaint: Complaint, actor, detail: str, expected_version=None) -> None:
    """Report upward at once (避免升级): escalate in its own transaction, then refuse the action.
    A stale ``expected_version`` refuses first (StaleVersion) and escalates nothing."""
    with transaction.atomic():
        locked = _lock(complaint, expected_version)
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
