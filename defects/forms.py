"""Forms of the staff pages. They only parse input; the services decide and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from estates.access import projects_for
from estates.models import Department, Project, User

from .models import Defect, MeetingDecision, PreventionChecklistItem, Tag

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> reads, whatever the locale


class TagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_kind_display()} · {obj.name}"


class DefectForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=_("Project"), to_field_name="code")
    series = forms.RegexField(regex=r"^[A-Z]{1,6}$", initial="SJ", max_length=6, label=_("Code series"),
                              help_text=_("Capital letters before the number, e.g. SJ."))
    title = forms.CharField(max_length=200, label=_("Problem"))
    description = forms.CharField(widget=forms.Textarea, label=_("Problem description"))
    source = forms.ChoiceField(choices=Defect.Source.choices, label=_("Source"))
    unit_types = forms.CharField(max_length=100, required=False, label=_("Affected unit types"))
    units = forms.CharField(max_length=2000, required=False, label=_("Affected units"),
                            help_text=_("Unit numbers separated by commas or spaces."))
    location = forms.CharField(max_length=200, required=False, label=_("Location in the unit or building"))
    households_affected = forms.IntegerField(min_value=0, max_value=100000, initial=0, label=_("Households affected"))
    safety_risk = forms.BooleanField(required=False, label=_("Safety risk"))
    complaint_risk = forms.BooleanField(required=False, label=_("Complaint risk"))
    estimated_loss = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, required=False, label=_("Estimated loss (yuan)"))
    cause_analysis = forms.CharField(widget=forms.Textarea, required=False, label=_("Cause analysis"))
    responsible_department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False, label=_("Responsible department"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Responsible person"))
    found_on = forms.DateField(widget=DATE, label=_("Found on"))
    due_on = forms.DateField(widget=DATE, required=False, label=_("Rectification due"))
    tags = TagChoiceField(queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Tags"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects_for(actor).order_by("code")
        self.fields["owner"].queryset = User.objects.filter(is_active=True, projects__in=projects_for(actor)).distinct().order_by("username")

    def clean(self):
        data = super().clean()
        project = data.get("project")
        numbers = [n for n in (data.get("units") or "").replace("，", ",").replace(",", " ").split() if n]
        data["unit_list"] = []
        if project is not None and numbers:
            units = list(project.units.filter(number__in=numbers))
            missing = sorted(set(numbers) - {u.number for u in units})
            if missing:
                self.add_error("units", _("Unknown units in this project: %(units)s") % {"units": ", ".join(missing)})
            data["unit_list"] = units
        return data


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000, label=_("Note"))


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label=_("Reason"))


class RejectForm(ReasonForm):
    due_on = forms.DateField(widget=DATE, required=False, label=_("New due date"))


class MeasuresForm(forms.Form):
    measures = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label=_("Rectification measures"))
    prevention = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label=_("Prevention measures"))
    due_on = forms.DateField(widget=DATE, required=False, label=_("Rectification due"))


class CostForm(forms.Form):
    cost = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, label=_("Cost (yuan)"))
    note = forms.CharField(required=False, max_length=2000, label=_("Note"))


class PhotoForm(forms.Form):
    # A FileField, not an ImageField: the service checks the content itself and re-encodes it.
    image = forms.FileField(label=_("Photo"))
    caption = forms.CharField(max_length=200, required=False, label=_("Caption"))


class MeetingForm(forms.Form):
    """The meeting's facts plus, per candidate defect, whether it was decided and how."""

    held_on = forms.DateField(widget=DATE, label=_("Held on"))
    attendees = forms.ModelMultipleChoiceField(queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, label=_("Attendees"))
    minutes = forms.CharField(widget=forms.Textarea, label=_("Minutes"))

    GRADES = [("", _("Not decided")), *Defect.Grade.choices]

    def __init__(self, *args, attendees, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = attendees
        self.fields["attendees"].label_from_instance = lambda u: f"{u.display_name} · {u.get_role_display()}" + (
            f" · {u.department.name}" if u.department_id else ""
        )
        self.candidates = list(candidates)
        feasibility = [("", "—"), *MeetingDecision.Feasibility.choices]
        for d in self.candidates:
            self.fields[f"grade_{d.pk}"] = forms.ChoiceField(choices=self.GRADES, required=False, label=_("Grade"))
            self.fields[f"capacity_{d.pk}"] = forms.ChoiceField(choices=feasibility, required=False, label=_("Construction capacity"))
            self.fields[f"technical_{d.pk}"] = forms.ChoiceField(choices=feasibility, required=False, label=_("Technical feasibility"))
            self.fields[f"schedule_{d.pk}"] = forms.ChoiceField(choices=feasibility, required=False, label=_("Schedule"))
            self.fields[f"problems_{d.pk}"] = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                                              label=_("Causes and main problems"))
            self.fields[f"decision_{d.pk}"] = forms.CharField(required=False, max_length=2000, label=_("Decision"))
            self.fields[f"due_{d.pk}"] = forms.DateField(widget=DATE, required=False, label=_("Rectification due"))

    def rows(self):
        """(defect, bound fields) for the template, in candidate order."""
        names = ("grade", "capacity", "technical", "schedule", "problems", "decision", "due")
        return [(d, {n: self[f"{n}_{d.pk}"] for n in names}) for d in self.candidates]

    def clean(self):
        data = super().clean()
        decided = []
        for d in self.candidates:
            grade = data.get(f"grade_{d.pk}")
            if not grade:
                continue
            for name in ("capacity", "technical", "schedule"):
                if not data.get(f"{name}_{d.pk}"):
                    self.add_error(f"{name}_{d.pk}", _("Assess the feasibility."))
            decided.append(d)
        if not decided and not self.errors:
            raise forms.ValidationError(_("Grade at least one defect."))
        data["decided"] = decided
        return data


class HandbookFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False, label=_("Tag"))
    grade = forms.ChoiceField(choices=[("", _("All grades")), *Defect.Grade.choices], required=False, label=_("Grade"))


class ProjectTagsForm(forms.Form):
    tags = TagChoiceField(queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Project tags"))


class TickForm(forms.Form):
    status = forms.ChoiceField(choices=PreventionChecklistItem.Status.choices, label=_("Status"))
    evidence = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000, label=_("Evidence"))


class InspectionForm(forms.Form):
    """Findings of a handover or mock inspection, one per line: ``unit | location | problem``."""

    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=_("Project"), to_field_name="code")
    source = forms.ChoiceField(choices=[(Defect.Source.HANDOVER, Defect.Source.HANDOVER.label),
                                        (Defect.Source.MOCK_INSPECTION, Defect.Source.MOCK_INSPECTION.label)], label=_("Source"))
    found_on = forms.DateField(widget=DATE, label=_("Found on"))
    responsible_department = forms.ModelChoiceField(queryset=Department.objects.all(), required=False, label=_("Responsible department"))
    due_on = forms.DateField(widget=DATE, required=False, label=_("Rectification due"))
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), label=_("Findings"), max_length=50000,
                               help_text=_("One finding per line: unit | location | problem. The unit may be left empty."))

    MAX_ROWS = 500

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects_for(actor).order_by("code")

    def clean(self):
        data = super().clean()
        project = data.get("project")
        lines = [line.strip() for line in (data.get("findings") or "").splitlines() if line.strip()]
        if len(lines) > self.MAX_ROWS:
            self.add_error("findings", _("At most %(n)s findings at once.") % {"n": self.MAX_ROWS})
            return data
        if project is None:
            return data
        parsed, numbers = [], set()
        for line in lines:
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            if len(parts) != 3 or not parts[2]:
                self.add_error("findings", _("Write each line as: unit | location | problem — “%(line)s”") % {"line": line[:60]})
                return data
            parsed.append(parts)
            if parts[0]:
                numbers.add(parts[0])
        units = {u.number: u for u in project.units.filter(number__in=numbers)}
        missing = sorted(numbers - set(units))
        if missing:
            self.add_error("findings", _("Unknown units in this project: %(units)s") % {"units": ", ".join(missing)})
            return data
        data["rows"] = [
            {"unit": units.get(unit), "location": location[:200], "title": problem[:200], "description": problem,
             "responsible_department": data.get("responsible_department"), "due_on": data.get("due_on")}
            for unit, location, problem in parsed
        ]
        return data
