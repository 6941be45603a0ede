from django import forms
from django.utils.translation import gettext_lazy as _

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
