"""Forms of the scorecard editor."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm_site.models import ScorecardMeasure, ScorecardPerspective

from .scorecard import LIVE_KPIS


class MeasureForm(forms.Form):
    perspective = forms.ChoiceField(label=_("Perspective"), choices=ScorecardPerspective.choices)
    objective_title = forms.CharField(label=_("Objective"), max_length=200)
    name = forms.CharField(label=_("Measure"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    target = forms.DecimalField(label=_("Target"), max_digits=14, decimal_places=2)
    direction = forms.ChoiceField(label=_("Met when the actual is"), choices=ScorecardMeasure.Direction.choices)
    kpi_key = forms.ChoiceField(label=_("Filled from live KPI"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi_key"].choices = [("", _("— entered by hand —")), *LIVE_KPIS.items()]

    def clean_objective_title(self):
        value = self.cleaned_data["objective_title"].strip()
        if not value:
            raise forms.ValidationError(_("Name the objective."))
        return value

    def clean_name(self):
        value = self.cleaned_data["name"].strip()
        if not value:
            raise forms.ValidationError(_("Name the measure."))
        return value


class ActualsForm(forms.Form):
    """One optional number per hand-entered measure of the month: field ``m<pk>``."""

    def __init__(self, *args, measures, initial_values, **kwargs):
        super().__init__(*args, **kwargs)
        self.measures = measures
        for m in measures:
            self.fields[f"m{m.pk}"] = forms.DecimalField(
                label=m.name,
                required=False,
                max_digits=14,
                decimal_places=2,
                min_value=Decimal("-999999999999"),
                initial=initial_values.get(m.pk),
            )

    def values(self) -> dict:
        return {m.pk: self.cleaned_data.get(f"m{m.pk}") for m in self.measures}

    def rows(self):
        return [(m, self[f"m{m.pk}"]) for m in self.measures]
