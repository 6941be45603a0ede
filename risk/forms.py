"""Staff forms of the risk pages. They parse input only; the services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from estates.models import Department, Milestone

from .models import AdverseFactor, Answer, Disclosure, Review, ReviewKind, RiskItem, SalesPromise


class DateInput(forms.DateInput):
    """A native date picker; it needs ISO dates whatever the page's locale formats dates as."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs=attrs, format=format)


class RiskItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=RiskItem.Level.choices)
    source = forms.ChoiceField(label=_("Risk source"), choices=RiskItem.Source.choices)
    customer_view = forms.ChoiceField(label=_("Customer view"), choices=RiskItem.CustomerView.choices)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    measures = forms.CharField(label=_("Measures"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners


class RiskItemEditForm(RiskItemForm):
    """The edit form: also carries the item's version when the page was rendered (optimistic locking)."""

    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    closing_note = forms.CharField(label=_("Closing note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    deadline = forms.DateField(label=_("New deadline"), widget=DateInput, required=False)


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("Follow-up note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ReviewKind.choices)
    scheduled_on = forms.DateField(label=_("Scheduled date"), widget=DateInput)
    method = forms.ChoiceField(label=_("Method"), choices=Review.Method.choices)
    participants = forms.CharField(label=_("Participants"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(forms.Form):
    """One checklist item at a site check: three big choices, evidence, and the finding's risk fields."""

    result = forms.ChoiceField(
        label=_("Result"),
        widget=forms.RadioSelect,
        choices=[
            (Answer.Result.OK, _("OK")),
            (Answer.Result.FINDING, _("Finding")),
            (Answer.Result.NOT_APPLICABLE, _("Not applicable")),
        ],
    )
    evidence = forms.CharField(label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    title = forms.CharField(label=_("Risk title"), required=False, max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=RiskItem.Level.choices, required=False)
    source = forms.ChoiceField(label=_("Risk source"), choices=RiskItem.Source.choices, required=False)
    customer_view = forms.ChoiceField(label=_("Customer view"), choices=RiskItem.CustomerView.choices, required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput, required=False)
    measures = forms.CharField(label=_("Measures"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, owners, **kwargs):
        """``owners`` is a list evaluated once per page: a review page has one form per item."""
        super().__init__(*args, **kwargs)
        self._owners = {str(u.pk): u for u in owners}
        self.fields["owner"].choices = [("", "---------"), *((str(u.pk), u.display_name) for u in owners)]

    def clean_owner(self):
        return self._owners.get(self.cleaned_data.get("owner") or "")

    def finding(self) -> dict:
        d = self.cleaned_data
        return {k: d.get(k) or None for k in ("title", "level", "source", "customer_view", "owner", "deadline", "measures")}


class SignOffForm(forms.Form):
    note = forms.CharField(label=_("Sign-off note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FactorForm(forms.Form):
    factor_type = forms.ChoiceField(label=_("Type"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}))
    distance_m = forms.IntegerField(label=_("Distance (m)"), min_value=1)
    direction = forms.ChoiceField(label=_("Direction"), choices=AdverseFactor.Direction.choices)
    info_source = forms.CharField(label=_("Source of the information"), max_length=200)

    def __init__(self, *args, types, **kwargs):
        super().__init__(*args, **kwargs)
        groups = {}
        for t in types:
            groups.setdefault(t.get_category_display(), []).append(
                (t.code, t.name if not t.name_en else f"{t.name} · {t.name_en}")
            )
        self.fields["factor_type"].choices = list(groups.items())


class DisclosureForm(forms.Form):
    place = forms.ChoiceField(label=_("Disclosed in"), choices=Disclosure.Place.choices)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Photo number, document and page, board location."),
    )
    disclosed_on = forms.DateField(label=_("Disclosed on"), widget=DateInput, required=False)


class PromiseForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=SalesPromise.Source.choices)
    wording = forms.CharField(label=_("Wording"), widget=forms.Textarea(attrs={"rows": 2}))
    kano = forms.ChoiceField(label=_("KANO class"), choices=SalesPromise.Kano.choices)
    due_milestone = forms.ChoiceField(
        label=_("Due at milestone"), choices=Milestone.Kind.choices, initial=Milestone.Kind.HANDOVER
    )


class VerifyForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[(s.value, s.label) for s in (SalesPromise.Status.KEPT, SalesPromise.Status.AT_RISK, SalesPromise.Status.BROKEN)],
    )
    note = forms.CharField(label=_("What was checked"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ProposeChangeForm(forms.Form):
    new_wording = forms.CharField(label=_("New wording"), widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    impact = forms.CharField(label=_("Impact"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NegotiateForm(forms.Form):
    note = forms.CharField(label=_("Negotiation note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmForm(forms.Form):
    confirmation_document = forms.CharField(label=_("Written confirmation (document)"), required=False, max_length=200)
    confirmed_on = forms.DateField(label=_("Confirmed on"), widget=DateInput, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ChecklistItemForm(forms.Form):
    name = forms.CharField(label=_("Control point"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    guidance = forms.CharField(label=_("What to check"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    guidance_en = forms.CharField(label=_("What to check (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    lead_department = forms.ModelChoiceField(label=_("Lead department"), queryset=Department.objects.all())
    participating_departments = forms.ModelMultipleChoiceField(
        label=_("Participating departments"),
        queryset=Department.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
