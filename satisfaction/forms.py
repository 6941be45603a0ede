from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FollowUp, SurveyTemplate, Wave
from .services import WAVE_FIELDS


class ScoreFilterForm(forms.Form):
    GROUPS = [
        ("wave", _("Wave")),
        ("project", _("Project")),
        ("dimension", _("Dimension")),
        ("period", _("Month")),
        ("segment", _("Segment")),
    ]
    project = forms.ModelChoiceField(queryset=None, required=False, label=_("Project"), to_field_name="code")
    wave = forms.ModelChoiceField(queryset=None, required=False, label=_("Wave"), to_field_name="code")
    date_from = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.ChoiceField(choices=GROUPS, required=False, initial="wave", label=_("Group by"))

    def __init__(self, *args, projects, waves, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["wave"].queryset = waves


class InvitationFilterForm(forms.Form):
    project = forms.ModelChoiceField(queryset=None, required=False, label=_("Project"), to_field_name="code")
    wave = forms.ModelChoiceField(queryset=None, required=False, label=_("Wave"), to_field_name="code")
    status = forms.ChoiceField(choices=[("", _("All statuses"))], required=False, label=_("Status"))

    def __init__(self, *args, projects, waves, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
        self.fields["wave"].queryset = waves
        self.fields["status"].choices = [("", _("All statuses")), *statuses]


class WaveForm(forms.ModelForm):
    """Field checks only; the service decides (negative offsets, months on trigger waves)."""

    offset_months = forms.IntegerField(label=_("offset (months)"), initial=0)
    offset_days = forms.IntegerField(label=_("offset (days)"), initial=0)
    window_days = forms.IntegerField(label=_("answer window (days)"), initial=30)
    reminder_interval_days = forms.IntegerField(label=_("days between reminders"), initial=7)
    reminder_max = forms.IntegerField(label=_("maximum reminders"), initial=2)
    cooldown_days = forms.IntegerField(label=_("cooldown (days)"), initial=60)
    low_score_threshold = forms.IntegerField(label=_("low-score threshold"), initial=2)
    order = forms.IntegerField(label=_("order"), initial=0)

    class Meta:
        model = Wave
        fields = ["code", *WAVE_FIELDS]  # the same editable fields as wave_update and the API

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = SurveyTemplate.objects.filter(is_current=True)
        if self.instance.pk:
            self.fields["code"].disabled = True

    def _post_clean(self):
        # The model's own validation would clash with the service's messages; the service checks.
        pass


class QuestionReviseForm(forms.Form):
    key = forms.SlugField(widget=forms.HiddenInput)
    text = forms.CharField(label=_("Question"), max_length=300)
    text_en = forms.CharField(label=_("English question"), max_length=300, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(choices=FollowUp.Status.choices, label=_("Status"))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)
