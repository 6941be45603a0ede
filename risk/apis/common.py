"""What every risk endpoint shares: project resolution for writes, owners, input validation, events."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from estates.access import project_in_scope
from estates.models import ApiClient, Project

from .. import selectors

CONFLICT = OpenApiResponse(description='Not allowed in the current state: {"detail": ...}')
NOT_FOUND = OpenApiResponse(description="Missing or outside the caller's scope.")
FORBIDDEN = OpenApiResponse(description="A project outside the API client's scope, or no authority.")


def project_for_write(actor, code: str) -> Project:
    """The project a write names: 403 for an API client outside its scope, 404 for staff."""
    project = Project.objects.filter(code=code or "").first()
    if project is not None and project_in_scope(actor, project):
        return project
    if isinstance(actor, ApiClient):
        if code in (actor.project_codes or []):
            raise ValidationError({"project": [_("Unknown project.")]})
        raise PermissionDenied(_("This project is outside your scope."))
    raise Http404


def owner_from_username(project: Project, username: str | None):
    if not username:
        return None
    owner = selectors.owner_choices(project=project).filter(username=username).first()
    if owner is None:
        raise ValidationError({"owner": [_("Unknown owner for this project.")]})
    return owner


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    before = serializers.JSONField()
    after = serializers.JSONField()
    detail = serializers.CharField()


def _valid(serializer_class, request, *, data=None, prefix: str = ""):
    serializer = serializer_class(data=request.data if data is None else data)
    if not serializer.is_valid():
        errors = serializer.errors
        if prefix:
            errors = {f"{prefix}.{k}": v for k, v in errors.items()}
        raise serializers.ValidationError(errors)
    return dict(serializer.validated_data)
