"""The case write-up every major complaint needs before it closes."""

from __future__ import annotations

from django.db import transaction

from ..models import (
    Case,
    Complaint,
)
from .common import (
    Event,
    _lock,
    _text,
    actor_parts,
    event_record,
)

# --- Cases -----------------------------------------------------------------------------------------


@transaction.atomic
def case_write(
    *, complaint: Complaint, actor, title: str, background: str, causes: str, handling: str, lessons: str, expected_version=None
) -> Case:
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
    complaint = _lock(complaint, expected_version)
    case, created = Case.objects.update_or_create(
        complaint=complaint, defaults={**values, "project": complaint.project, "author": user}
    )
    complaint.save(update_fields=["updated_at"])  # a new version: a second editor's stale form conflicts
    event_record(
        complaint=complaint, actor=actor, kind=Event.Kind.CASE_WRITTEN, after={"created": created}, detail=values["title"]
    )
    return case
