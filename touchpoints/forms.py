from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from estates.models import LifecycleStage

from .models import CustomerContact, Grade, PointCheck, SensitivityPoint, Touchpoint


class CatalogueFilterForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=[("", _("All stages")), *LifecycleStage.choices], required=False)
    grade = forms.ChoiceField(label=_("Grade"), choices=[("", _("All grades")), *Grade.choices], required=False)


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=LifecycleStage.choices, required=False)


class TouchpointForm(forms.ModelForm):
    class Meta:
        model = Touchpoint
        fields = ["stage", "code", "name", "name_en", "department", "description", "order", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class SensitivityPointForm(forms.ModelForm):
    class Meta:
        model = SensitivityPoint
        fields = ["code", "name", "name_en", "grade", "standard", "standard_en", "order", "is_active"]
        widgets = {"standard": forms.Textarea(attrs={"rows": 3}), "standard_en": forms.Textarea(attrs={"rows": 3})}


class CheckForm(forms.Form):
    point = forms.CharField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Answer"), choices=PointCheck.Status.choices)
    evidence = forms.CharField(label=_("Evidence"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ContactForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None)
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"), queryset=Touchpoint.objects.filter(is_active=True).order_by("stage", "order"), required=False
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=CustomerContact.Channel.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=CustomerContact.Direction.choices)
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), choices=CustomerContact.Sentiment.choices, initial=CustomerContact.Sentiment.NEUTRAL
    )
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    summary = forms.CharField(label=_("Summary"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["occurred_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
