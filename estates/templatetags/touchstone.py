"""Template helpers every page may use (registered as builtins in settings)."""

from django import template
from django.utils import timezone, translation

from estates import access

register = template.Library()


@register.filter
def loc(obj, field: str = "name"):
    """The English variant of a catalogue field (``name_en``) when the page is in English."""
    if obj is None:
        return ""
    if translation.get_language() == "en":
        value = getattr(obj, f"{field}_en", "")
        if value:
            return value
    return getattr(obj, field, "")


@register.filter
def phone_for(phone, user):
    return access.phone_for(user, phone or "")


@register.filter
def id_number_for(value, user):
    return access.id_number_for(user, value or "")


@register.filter
def pct(value, digits: int = 0):
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f}%"


@register.simple_tag
def now_local():
    return timezone.localtime()
