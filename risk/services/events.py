"""The one way risk records get a timeline row."""

from __future__ import annotations

from estates.models import Project, User

from ..models import Event


def actor_user_and_label(actor) -> tuple[User | None, str]:
    """Staff are linked by id; API clients (sales systems) and the sweep are named in the label."""
    if actor is None:
        return None, "system"
    if isinstance(actor, User):
        return actor, actor.display_name
    return None, getattr(actor, "display_name", str(actor))


def event_record(
    *,
    subject: str,
    subject_id: int,
    project: Project | None,
    kind: str,
    actor,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
) -> Event:
    """Append one event. Call inside the transaction that made the change."""
    user, label = actor_user_and_label(actor)
    return Event.objects.create(
        subject=subject,
        subject_id=subject_id,
        project=project,
        kind=kind,
        actor=user,
        actor_label=label[:150],
        before=before or {},
        after=after or {},
        detail=detail,
    )
