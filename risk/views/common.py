"""Helpers every risk page shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from estates import selectors as estates_selectors
from estates.models import Project


def _attach(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e.messages)
    else:
        form.add_error(None, exc.messages)


def _project(request, code) -> Project:
    return estates_selectors.project_get(actor=request.user, code=code)
