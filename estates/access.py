"""Who may see what: the one place where project scope and personal-data masking are decided.

Every page, list, export, count and endpoint narrows its queryset with ``scope_to_actor`` and
resolves ids with ``get_in_scope_or_404``, so list and detail can never disagree on visibility.
An *actor* is a staff ``User`` or an ``ApiClient`` (which stands in for ``request.user`` on API calls).
"""

from __future__ import annotations

from contextlib import suppress
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from .models import ApiClient, Project, Role

M = TypeVar("M", bound=Model)

# Roles that work with owners directly and need their full phone number to call them back.
PHONE_ROLES = frozenset({Role.CR_STAFF, Role.CR_MANAGER, Role.GROUP_CENTRE, Role.ADMIN})
# The ID number is needed only to verify identity in a dispute: managers and administrators.
ID_NUMBER_ROLES = frozenset({Role.CR_MANAGER, Role.ADMIN})


def _is_api_client(actor) -> bool:
    return isinstance(actor, ApiClient)


def projects_for(actor) -> QuerySet[Project]:
    """The projects the actor may see; empty for anonymous or inactive actors."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return Project.objects.none()
    if _is_api_client(actor):
        return Project.objects.filter(code__in=actor.project_codes or [])
    if actor.sees_all_projects:
        return Project.objects.all()
    return Project.objects.filter(staff=actor)


def project_ids_for(actor) -> list[int] | None:
    """Ids of the actor's projects, or None when the actor sees every project (no filter needed)."""
    if getattr(actor, "sees_all_projects", False) and getattr(actor, "is_active", False):
        return None
    cache = getattr(actor, "_touchstone_project_ids", None)
    if cache is None:
        cache = list(projects_for(actor).values_list("pk", flat=True))
        with suppress(AttributeError):  # plain objects without __dict__
            actor._touchstone_project_ids = cache
    return cache


def scope_to_actor(queryset: QuerySet[M], actor, *, project_field: str = "project") -> QuerySet[M]:
    """Narrow ``queryset`` to rows whose ``project_field`` is one of the actor's projects."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return queryset.none()
    ids = project_ids_for(actor)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{project_field}__in": ids})


def get_in_scope_or_404(queryset: QuerySet[M], actor, *, project_field: str = "project", **lookup) -> M:
    """Fetch one object inside the actor's scope; anything else — missing or foreign — is a 404."""
    try:
        return scope_to_actor(queryset, actor, project_field=project_field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def project_in_scope(actor, project: Project | None) -> bool:
    if project is None:
        return False
    ids = project_ids_for(actor)
    return ids is None or project.pk in ids


def can_write_project_code(actor, code: str) -> bool:
    """API clients may write to the project codes they were given, even before the project exists."""
    if _is_api_client(actor):
        return code in (actor.project_codes or [])
    if getattr(actor, "sees_all_projects", False) and getattr(actor, "is_active", False):
        return True
    codes = getattr(actor, "_touchstone_project_codes", None)
    if codes is None:  # once per request: a batch checks every record's project
        codes = set(projects_for(actor).values_list("code", flat=True))
        with suppress(AttributeError):
            actor._touchstone_project_codes = codes
    return code in codes


def sees_full_phone(actor) -> bool:
    if _is_api_client(actor):
        return actor.sees_personal_data
    return getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in PHONE_ROLES


def sees_full_id_number(actor) -> bool:
    if _is_api_client(actor):
        return actor.sees_personal_data
    return getattr(actor, "is_superuser", False) or getattr(actor, "role", None) in ID_NUMBER_ROLES


def mask_phone(phone: str) -> str:
    """138****5678: keep the first three and last four digits."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_id_number(value: str) -> str:
    """110***********123X: keep the region prefix and the last four characters."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def phone_for(actor, phone: str) -> str:
    return phone if sees_full_phone(actor) else mask_phone(phone)


def id_number_for(actor, value: str) -> str:
    return value if sees_full_id_number(actor) else mask_id_number(value)
