"""Input checks shared by the services: each raises a field-keyed ValidationError and writes nothing."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.access import project_in_scope
from estates.models import User

from .. import rules


def local_today() -> date:
    return timezone.localdate()


def require_choice(field: str, value, choices) -> None:
    if value not in {c.value if hasattr(c, "value") else c for c in choices}:
        raise ValidationError({field: [_("“%(value)s” is not a valid choice.") % {"value": value}]})


def require_text(field: str, value: str | None, message: str | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message or _("This field is required.")]})
    return value


def require_future_deadline(deadline: date | None, *, field: str = "deadline") -> None:
    problem = rules.deadline_problem(deadline=deadline, today=local_today())
    if problem == "missing":
        raise ValidationError({field: [_("A deadline is required.")]})
    if problem == "past":
        raise ValidationError({field: [_("The deadline cannot be in the past.")]})


def require_owner(owner: User | None, project) -> None:
    """An owner must be active staff who can see the project (else nobody could chase the item)."""
    if owner is None:
        return
    if not isinstance(owner, User) or not owner.is_active or not project_in_scope(owner, project):
        raise ValidationError({"owner": [_("The owner must be active staff of this project.")]})
