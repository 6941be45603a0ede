"""Notify staff in the app and by email. Every app sends its notifications through here."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from .models import Notification, Project, User


def notify(*, recipients: Iterable[User], kind: str, title: str, dedupe_key: str, body: str = "", url: str = "",
           project: Project | None = None) -> list[int]:
    """Create one notification per recipient unless one with ``dedupe_key`` exists already.

    Safe to repeat and safe when two workers do it at once (a unique constraint decides). The
    email goes out after commit, from the worker. Returns the ids of notifications created now.
    Never put a full phone or ID number in ``title`` or ``body``.
    """
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not users:
        return []
    rows = [
        Notification(
            recipient_id=pk, kind=kind, title=title[:200], body=body, url=url, dedupe_key=dedupe_key[:200], project=project
        )
        for pk in users
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(recipient_id__in=users, dedupe_key=dedupe_key[:200], emailed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if created:
        from .tasks import notification_email_send

        transaction.on_commit(partial(notification_email_send.delay, notification_ids=created))
    return created


def notifications_for(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    from django.utils import timezone

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
