"""Notify staff in the app and by email. Every app sends its notifications through here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from .models import Notification, Project, User


@dataclass(frozen=True)
class Message:
    """One notification to send to several recipients (see ``notify``)."""

    recipients: tuple
    kind: str
    title: str
    dedupe_key: str
    body: str = ""
    url: str = ""
    project: Project | None = None


def notify(*, recipients: Iterable[User], kind: str, title: str, dedupe_key: str, body: str = "", url: str = "",
           project: Project | None = None) -> list[int]:
    """Create one notification per recipient unless one with ``dedupe_key`` exists already.

    Safe to repeat and safe when two workers do it at once (a unique constraint decides). The
    email goes out after commit, from the worker. Returns the ids of notifications created now.
    Never put a full phone or ID number in ``title`` or ``body``.
    """
    return notify_many([Message(tuple(recipients), kind, title, dedupe_key, body, url, project)])


def notify_many(messages: Iterable[Message]) -> list[int]:
    """``notify`` for a whole batch in three queries, however many messages: a sweep that
    escalates thousands of complaints must not pay a query per complaint to tell people."""
    rows, keys, users = [], set(), set()
    for m in messages:
        for user in {u.pk: u for u in m.recipients if u is not None and u.is_active}.values():
            key = m.dedupe_key[:200]
            rows.append(Notification(recipient_id=user.pk, kind=m.kind, title=m.title[:200], body=m.body, url=m.url,
                                     dedupe_key=key, project=m.project))
            keys.add(key)
            users.add(user.pk)
    if not rows:
        return []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(recipient_id__in=users, dedupe_key__in=keys, emailed_at__isnull=True).values_list("pk", flat=True)
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
