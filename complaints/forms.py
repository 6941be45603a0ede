"""Forms of the staff pages: they parse input only; the services decide and write."""

from django import forms
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .models import DESCRIPTION_MAX, MAX_COMPLAINANTS, TITLE_MAX, Category, Channel, Complaint, Motive, Severity

EMPTY = [("", "—")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _attrs(attrs: dict) -> str:
    """Django's widgets/attrs.html in Python: ``name="value"`` in order, True bare, False left out."""
    return "".join(f" {k}" if v is True else f' {k}="{escape(v)}"' for k, v in attrs.items() if v is not False)


class LeanSelect(forms.Select):
    """A ``Select`` that writes its HTML in Python: the markup of Django's select.html and
    select_option.html (the first matching option selected, labels escaped), without rendering a
    template per option. Grouped choices fall back to Django's templates."""

    def render(self, name, value, attrs=None, renderer=None):
        if self.allow_multiple_selected or any(isinstance(label, (list, tuple)) for _v, label in self.choices):
            return super().render(name, value, attrs, renderer)
        values = self.format_value(value)
        parts = [f'<select name="{escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        found = False
        for option, label in self.choices:
            option = "" if option is None else str(option)
            selected = not found and option in values
            found |= selected
            parts.append(
                f'  <option value="{escape(option)}"{" selected" if selected else ""}>{conditional_escape(label)}</option>\n'
            )
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # noqa: S308 - every part escaped above


class LeanInput(forms.widgets.Input):
    """Django's widgets/input.html in Python (the filter form's dates and search box)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = "" if value is None else f' value="{escape(value)}"'
        return mark_safe(  # noqa: S308 - name, value and attributes escaped
            f'<input type="{escape(self.input_type)}" name="{escape(name)}"{shown}{_attrs(self.build_attrs(self.attrs, attrs))}>'
        )


class LeanDateInput(LeanInput, forms.DateInput):
    pass


class LeanTextInput(LeanInput, forms.TextInput):
    pass


LEAN_DATE = LeanDateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InboxFilterForm(forms.Form):
    project = forms.ChoiceField(widget=LeanSelect, label=_("Project"), required=False)
    status = forms.ChoiceField(
        widget=LeanSelect, label=_("Status"), required=False, choices=EMPTY + list(Complaint.Status.choices)
    )
    severity = forms.TypedChoiceField(
        widget=LeanSelect,
        label=_("Severity"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=EMPTY + [(v, label) for v, label in reversed(Severity.choices)],
    )
    category = forms.ChoiceField(widget=LeanSelect, label=_("Category"), required=False, choices=EMPTY + list(Category.choices))
    channel = forms.ChoiceField(widget=LeanSelect, label=_("Channel"), required=False, choices=EMPTY + list(Channel.choices))
    overdue = forms.ChoiceField(
        widget=LeanSelect,
        label=_("Overdue"),
        required=False,
        choices=EMPTY + [("yes", _("Overdue only")), ("no", _("Not overdue"))],
    )
    assignee = forms.ChoiceField(
        widget=LeanSelect,
        label=_("Assignee"),
        required=False,
        choices=EMPTY + [("me", _("Assigned to me")), ("none", _("Unassigned"))],
    )
    open = forms.ChoiceField(
        widget=LeanSelect,
        label=_("Open or done"),
        required=False,
        choices=EMPTY + [("yes", _("Open only")), ("no", _("Resolved or closed"))],
    )
    escalated = forms.ChoiceField(
        widget=LeanSelect,
        label=_("Escalated"),
        required=False,
        choices=EMPTY + [("yes", _("Escalated only")), ("no", _("Not escalated"))],
    )
    filed_from = forms.DateField(label=_("Filed from"), required=False, widget=LEAN_DATE)
    filed_to = forms.DateField(label=_("Filed to"), required=False, widget=LEAN_DATE)
    resolved_from = forms.DateField(label=_("Resolved from"), required=False, widget=LEAN_DATE)
    resolved_to = forms.DateField(label=_("Resolved to"), required=False, widget=LEAN_DATE)
    revisited_from = forms.DateField(label=_("Follow-up call from"), required=False, widget=LEAN_DATE)
    revisited_to = forms.DateField(label=_("Follow-up call to"), required=False, widget=LEAN_DATE)
    q = forms.CharField(label=_("Search"), required=False, max_length=100, widget=LeanTextInput)

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = EMPTY + [(p.code, p.name) for p in projects]

    def filters(self) -> dict:
        """The selector's keyword arguments: only the filters that were given (call after is_valid)."""
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class IntakeForm(forms.Form):
    """The hotline intake form: the customer was found by phone, name or unit (or is a contact)."""

    project = forms.ChoiceField(label=_("Project"))
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    unit = forms.CharField(label=_("Unit number"), required=False, max_length=40)
    contact_name = forms.CharField(label=_("Caller's name"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("Caller's phone"), required=False, max_length=20)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.HOTLINE)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 5}), strip=False
    )
    complainant_count = forms.IntegerField(label=_("Number of complainants"), min_value=1, max_value=MAX_COMPLAINANTS, initial=1)
    motive = forms.ChoiceField(label=_("Complainant's motive"), required=False, choices=EMPTY + list(Motive.choices))
    lawsuit_filed = forms.BooleanField(label=_("A lawsuit has been filed"), required=False)
    media_exposed = forms.BooleanField(label=_("Exposed by media"), required=False)
    legal_or_media_risk = forms.BooleanField(label=_("May lead to a lawsuit or media exposure"), required=False)
    needs_outside_help = forms.BooleanField(label=_("Needs consultants or another company"), required=False)

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(p.code, p.name) for p in projects]

    def clean_description(self):
        value = self.cleaned_data["description"]
        if not value.strip():
            raise forms.ValidationError(_("This field is required."))
        return value

    def clean(self):
        data = super().clean()
        if not data.get("customer") and not (data.get("contact_name") or "").strip():
            self.add_error("contact_name", _("Choose a customer or enter the caller's name."))
        return data


class Versioned(forms.Form):
    """Optimistic locking: the complaint's version when the page was rendered (a hidden field).
    Posted back, the service refuses the save if someone changed the complaint since."""

    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class RespondForm(Versioned):
    message = forms.CharField(
        label=_("Response to the customer"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(Versioned):
    assignee = forms.ChoiceField(label=_("Assignee"))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(u.username, u.display_name) for u in staff]


class HoldForm(Versioned):
    reason = forms.CharField(label=_("Waiting for"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ResumeForm(Versioned):
    pass


class ResolveForm(Versioned):
    resolution = forms.CharField(
        label=_("How it was resolved"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    compensation = forms.DecimalField(
        label=_("Compensation (yuan)"), min_value=0, max_digits=12, decimal_places=2, required=False, initial=0
    )


class RevisitForm(Versioned):
    satisfied = forms.TypedChoiceField(
        label=_("Satisfied"), choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes"
    )
    score = forms.TypedChoiceField(label=_("Score"), choices=[(i, str(i)) for i in range(5, 0, -1)], coerce=int)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(Versioned):
    pass


class ReopenForm(Versioned):
    reason = forms.CharField(label=_("Why it is reopened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(Versioned):
    reason = forms.CharField(label=_("Reason for escalating"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SetSeverityForm(Versioned):
    severity = forms.TypedChoiceField(label=_("Severity"), choices=list(reversed(Severity.choices)), coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CaseForm(Versioned):
    title = forms.CharField(label=_("Title"), max_length=200)
    background = forms.CharField(label=_("Background"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    causes = forms.CharField(label=_("Causes"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    handling = forms.CharField(label=_("Handling"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    lessons = forms.CharField(label=_("Lessons"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


ACTION_FORMS = {
    "respond": (RespondForm, _("Respond")),
    "assign": (AssignForm, _("Assign")),
    "hold": (HoldForm, _("Put on hold")),
    "resume": (ResumeForm, _("Resume")),
    "resolve": (ResolveForm, _("Resolve")),
    "revisit": (RevisitForm, _("Record follow-up call")),
    "close": (CloseForm, _("Close")),
    "reopen": (ReopenForm, _("Reopen")),
    "escalate": (EscalateForm, _("Escalate")),
    "set-severity": (SetSeverityForm, _("Set severity")),
}
