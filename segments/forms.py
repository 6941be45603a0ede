from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates.models import Customer

from .models import AssignmentRule, LandAttribute, Segment


class OverrideForm(forms.Form):
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.order_by("order"),
        required=False,
        empty_label=_("— clear the override, use the rules —"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ProjectFilterForm(forms.Form):
    project = forms.CharField(label=_("Project"), required=False)


class PeriodForm(forms.Form):
    """The period of the complaint figures on the segments page: dates inclusive, the last 365 days by default."""

    DEFAULT_DAYS = 365
    MAX_DAYS = 366 * 5

    start = forms.DateField(label=pgettext_lazy("period", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("period", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)

    def clean(self):
        data = super().clean()
        for field in ("start", "end"):
            if data.get(field) and not self.EARLIEST <= data[field] <= self.LATEST:
                self.add_error(field, _("Choose a date between 1990 and 2100."))
                return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=self.DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (end - start).days >= self.MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most five years."))
        data["start"], data["end"] = start, end
        return data

    def period(self):
        """(start, end) when valid, else the default period."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        end = timezone.localdate()
        return end - timedelta(days=self.DEFAULT_DAYS - 1), end


class AssignmentRuleForm(forms.ModelForm):
    income_bands = forms.MultipleChoiceField(
        label=_("Income bands"),
        choices=Customer.IncomeBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any income."),
    )
    age_bands = forms.MultipleChoiceField(
        label=_("Age bands"),
        choices=Customer.AgeBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any age."),
    )
    elderly = forms.NullBooleanField(label=_("Elderly living in"), required=False, widget=forms.NullBooleanSelect)

    class Meta:
        model = AssignmentRule
        fields = [
            "priority",
            "segment",
            "name",
            "child_age_min",
            "child_age_max",
            "elderly",
            "income_bands",
            "age_bands",
            "household_size_min",
            "household_size_max",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elderly"].widget.choices = [("unknown", _("Either")), ("true", _("Yes")), ("false", _("No"))]


class ParcelForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    name = forms.CharField(label=_("Parcel"), max_length=150)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    attributes = forms.ModelMultipleChoiceField(
        label=_("Attributes the parcel offers"),
        queryset=LandAttribute.objects.order_by("order"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
