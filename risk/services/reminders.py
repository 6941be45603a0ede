"""The daily chase (盯): reminders before and after deadlines, escalation to the owner's head."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Notification, Role, User
from estates.notifications import notify

from .. import rules
from ..models import Event, RiskItem
from .checks import local_today
from .events import event_record


@dataclass
class SweepResult:
    due_soon: int = 0
    overdue: int = 0
    escalated: int = 0
    notified: int = 0


def _cr_managers(project_id: int) -> list[User]:
    return list(User.objects.filter(is_active=True, role=Role.CR_MANAGER, projects=project_id))


def _heads(item: RiskItem) -> list[User]:
    """The owner's head: department heads of the owner's department on the project.

    Without an owner, a department or such a head, the project's customer-relations managers.
    """
    if item.owner_id and item.owner.department_id:
        heads = list(
            User.objects.filter(is_active=True, role=Role.DEPARTMENT_HEAD, department_id=item.owner.department_id)
            .filter(Q(projects=item.project_id))
            .exclude(pk=item.owner_id)
            .distinct()
        )
        if heads:
            return heads
    return _cr_managers(item.project_id)


def _notify_new(*, recipients: list[User], key: str, **kwargs) -> int:
    """Notify and say how many recipients were notified now (notify() itself dedupes on ``key``)."""
    ids = {u.pk for u in recipients if u is not None and u.is_active}
    known = set(Notification.objects.filter(dedupe_key=key, recipient_id__in=ids).values_list("recipient_id", flat=True))
    notify(recipients=recipients, dedupe_key=key, **kwargs)
    return len(ids - known)


def risk_reminders_send(*, today: date | None = None) -> SweepResult:
    """Send the reminders and escalations due today. Safe to run twice, and twice at once.

    Asks the (status, deadline) index only for active items due within REMIND_DAYS_BEFORE days or
    overdue. Each notice has a dedupe key per deadline and period (estates.notifications.notify),
    and the escalation is claimed with a conditional UPDATE of ``escalated_at``, so the event and
    the head's notification happen once per deadline however often the sweep runs.
    """
    today = today or local_today()
    result = SweepResult()
    horizon = today + timedelta(days=rules.REMIND_DAYS_BEFORE)
    items = (
        RiskItem.objects.filter(status__in=RiskItem.ACTIVE, deadline__lte=horizon)
        .select_related("owner", "project")
        .order_by("deadline", "pk")
    )
    for item in items.iterator(chunk_size=200):
        url = reverse("risk:item-detail", args=[item.pk])
        owner_side = [item.owner] if item.owner_id else _cr_managers(item.project_id)
        for notice in rules.risk_item_notices(item_id=item.pk, deadline=item.deadline, today=today):
            with transaction.atomic():
                if notice.kind == "due_soon":
                    title = _("Risk item due %(deadline)s: %(title)s") % {"deadline": item.deadline, "title": item.title}
                    sent = _notify_new(
                        recipients=owner_side, kind="risk_due_soon", title=title, key=notice.key, url=url, project=item.project
                    )
                    result.due_soon += bool(sent)
                elif notice.kind == "overdue":
                    title = _("Risk item overdue since %(deadline)s: %(title)s") % {
                        "deadline": item.deadline,
                        "title": item.title,
                    }
                    sent = _notify_new(
                        recipients=owner_side, kind="risk_overdue", title=title, key=notice.key, url=url, project=item.project
                    )
                    result.overdue += bool(sent)
                else:
                    claimed = RiskItem.objects.filter(
                        pk=item.pk, escalated_at__isnull=True, deadline=item.deadline, status__in=RiskItem.ACTIVE
                    ).update(escalated_at=timezone.now())
                    if not claimed:
                        continue
                    heads = _heads(item)
                    title = _("Escalated: risk item overdue since %(deadline)s: %(title)s") % {
                        "deadline": item.deadline,
                        "title": item.title,
                    }
                    sent = _notify_new(
                        recipients=heads,
                        kind="risk_escalated",
                        title=title,
                        key=notice.key,
                        url=url,
                        project=item.project,
                        body=_("Owner: %(owner)s") % {"owner": item.owner.display_name if item.owner else "—"},
                    )
                    event_record(
                        subject=Event.Subject.ITEM,
                        subject_id=item.pk,
                        project=item.project,
                        kind="escalated",
                        actor=None,
                        after={"to": [h.username for h in heads]},
                        detail=", ".join(h.display_name for h in heads),
                    )
                    result.escalated += 1
                result.notified += sent
    return result
