"""The whitelisted filters of defect lists, shared by the staff page and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estates.models import Department

from . import selectors
from .models import Defect


class AnyYesNo(forms.NullBooleanSelect):
    """"—" (any), yes, no: Django's own select says "Unknown" for "any", which reads like a value.
    Values stay true/false, as the dashboards' links send them."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("unknown", "—"), ("true", _("Yes")), ("false", _("No")))


class DefectFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", label=_("Project code"))
    grade = django_filters.ChoiceFilter(choices=Defect.Grade.choices, label=_("Grade"))
    status = django_filters.ChoiceFilter(choices=Defect.Status.choices, label=_("Status"))
    source = django_filters.ChoiceFilter(choices=Defect.Source.choices, label=_("Source"))
    department = django_filters.ModelChoiceFilter(
        field_name="responsible_department", to_field_name="code", queryset=Department.objects.all(), label=_("Department")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", widget=AnyYesNo, label=_("Overdue"))
    open = django_filters.BooleanFilter(method="filter_open", widget=AnyYesNo, label=_("Open (not closed)"))
    chased = django_filters.BooleanFilter(method="filter_chased", widget=AnyYesNo, label=_("Rectification being chased"))
    graded = django_filters.BooleanFilter(method="filter_graded", widget=AnyYesNo, label=_("Graded"))
    found_from = django_filters.DateFilter(field_name="found_on", lookup_expr="gte", label=_("Found from"))
    found_to = django_filters.DateFilter(field_name="found_on", lookup_expr="lte", label=_("Found until"))
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    ordering = django_filters.OrderingFilter(fields=(("found_on", "found_on"), ("due_on", "due_on"), ("code", "code")))

    ORDERING_KEYS = frozenset({"found_on", "due_on", "code"})

    class Meta:
        model = Defect
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        # Unknown ordering keys change nothing (no 400 that would confirm what exists): drop them.
        if data is not None and "ordering" in data:
            data = data.copy()
            keep = [k for k in data.get("ordering", "").split(",") if k.strip().lstrip("-") in self.ORDERING_KEYS]
            if keep:
                data["ordering"] = ",".join(keep)
            else:
                data.pop("ordering")
        super().__init__(data, *args, **kwargs)

    def filter_overdue(self, queryset, name, value):
        q = selectors.overdue_q(selectors.local_today())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_open(self, queryset, name, value):
        closed = Q(status=Defect.Status.CLOSED)
        return queryset.exclude(closed) if value else queryset.filter(closed)

    def filter_chased(self, queryset, name, value):
        chased = Q(status__in=Defect.CHASED_STATUSES)
        return queryset.filter(chased) if value else queryset.exclude(chased)

    def filter_graded(self, queryset, name, value):
        ungraded = Q(grade="")
        return queryset.exclude(ungraded) if value else queryset.filter(ungraded)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(code__icontains=value) | Q(description__icontains=value))
