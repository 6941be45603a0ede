"""Staff pages: defect list and page, review meetings, the handbook, prevention checklists, photos."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints.selectors import complaint_get_for_action
from estates.models import User
from estates.selectors import project_get
from estates.spreadsheets import safe_cell
from estates.templatetags.touchstone import loc
from estates.workflow import InvalidTransition

from . import forms, photos, selectors, services
from .filters import DefectFilter
from .models import Defect, HandbookEntry, PreventionChecklistItem

S = Defect.Status


@dataclass(frozen=True)
class Action:
    name: str
    label: Any
    form: type
    statuses: tuple
    grade: str = ""  # "" for both grades
    primary: bool = True


ACTIONS = {
    a.name: a
    for a in [
        Action("submit", gettext_lazy("Put on review agenda"), forms.NoteForm, (S.REPORTED,)),
        Action("draft-measures", gettext_lazy("Draft measures"), forms.MeasuresForm, (S.GRADED,)),
        Action("report-to-gm", gettext_lazy("Report to GM office"), forms.NoteForm, (S.GRADED,), grade="B"),
        Action("complete", gettext_lazy("Rectification completed"), forms.NoteForm, (S.RECTIFYING,)),
        Action("accept", gettext_lazy("Department accepts the work"), forms.NoteForm, (S.AWAITING_ACCEPTANCE,)),
        Action("refuse-acceptance", gettext_lazy("Department refuses the work"), forms.ReasonForm, (S.AWAITING_ACCEPTANCE,), primary=False),
        Action("verify", gettext_lazy("Verify"), forms.NoteForm, (S.ACCEPTED,)),
        Action("reject", gettext_lazy("Reject verification"), forms.RejectForm, (S.ACCEPTED,), primary=False),
        Action("record-cost", gettext_lazy("Record cost and close"), forms.CostForm, (S.VERIFIED,)),
        Action("close", gettext_lazy("Close"), forms.NoteForm, (S.REPORTED_TO_GM,)),
    ]
}


def _run_action(name: str, *, defect: Defect, actor, data: dict) -> None:
    calls = {
        "submit": lambda: services.defect_submit_for_review(defect=defect, actor=actor),
        "draft-measures": lambda: services.defect_draft_measures(
            defect=defect, actor=actor, measures=data["measures"], prevention=data["prevention"], due_on=data.get("due_on")
        ),
        "report-to-gm": lambda: services.defect_report_to_gm(defect=defect, actor=actor, note=data.get("note", "")),
        "complete": lambda: services.defect_complete_rectification(defect=defect, actor=actor, note=data.get("note", "")),
        "accept": lambda: services.defect_accept(defect=defect, actor=actor, note=data.get("note", "")),
        "refuse-acceptance": lambda: services.defect_refuse_acceptance(defect=defect, actor=actor, reason=data["reason"]),
        "verify": lambda: services.defect_verify(defect=defect, actor=actor, note=data.get("note", "")),
        "reject": lambda: services.defect_reject_verification(defect=defect, actor=actor, reason=data["reason"], due_on=data.get("due_on")),
        "record-cost": lambda: services.defect_record_cost(defect=defect, actor=actor, cost=data["cost"], note=data.get("note", "")),
        "close": lambda: services.defect_close(defect=defect, actor=actor, note=data.get("note", "")),
    }
    calls[name]()


def _error_text(exc: ValidationError) -> str:
    return "；".join(exc.messages)


# ---------------------------------------------------------------- defects


def _filtered_defects(request):
    """The defect list's filter form and the rows it selects (none while the form is invalid):
    the one definition the page and its Excel export share."""
    defect_filter = DefectFilter(request.GET, queryset=selectors.defect_list(actor=request.user))
    qs = defect_filter.qs if defect_filter.is_valid() else selectors.defect_list(actor=request.user).none()
    return defect_filter, qs


EXPORT_MAX_ROWS = 200_000  # a bound on one file; the filters narrow anything larger



@login_required
def index(request):
    defect_filter, qs = _filtered_defects(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    summary = selectors.defect_project_summary(actor=request.user)
    return render(request, "defects/index.html", {
        "filter": defect_filter, "page": page, "summary": summary, "today": selectors.local_today(),
    })


@login_required
def index_export(request):
    """The defect list as .xlsx: the page's filter form and project scope, every matching row (not
    just one page), rows streamed from one query plus the tags' prefetch per chunk. Defects carry no
    customer data (no phone or ID number), so nothing here is masked by role."""
    from estates.xlsx import capped, streamed_xlsx_response

    _filter, qs = _filtered_defects(request)
    today = selectors.local_today()

    def rows():
        for d in qs.iterator(chunk_size=2000):
            yield [
                d.code,
                d.project.code,
                d.project.name,
                d.title,
                d.get_source_display(),
                d.grade,
                d.get_status_display(),
                loc(d.responsible_department),
                d.owner.display_name if d.owner_id else "",
                d.found_on,
                d.due_on,
                _("Yes") if d.is_overdue_on(today) else "",
                d.location,
                d.unit_types,
                d.households_affected,
                "、".join(loc(t) for t in d.tags.all()),
                d.closed_at,
            ]

    headers = [
        _("Code"),
        _("Project code"),
        _("Project"),
        _("Problem"),
        _("Source"),
        _("Grade"),
        _("Status"),
        _("Responsible department"),
        _("Responsible person"),
        _("Found on"),
        _("Due"),
        _("Overdue"),
        _("Location"),
        _("Affected unit types"),
        _("Households affected"),
        _("Tags"),
        _("Closed at"),
    ]
    return streamed_xlsx_response(
        filename=f"defects-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Defects"),
        headers=headers,
        rows=capped(rows(), EXPORT_MAX_ROWS),
        widths=[10, 10, 16, 36, 10, 6, 10, 14, 10, 11, 11, 6, 20, 14, 8, 24, 17],
    )


@login_required
def defect_create(request, complaint_pk=None):
    """The feedback report form; from a complaint (``complaint_pk``) it starts from the complaint's facts."""
    complaint = complaint_get_for_action(actor=request.user, pk=complaint_pk) if complaint_pk is not None else None
    if request.method == "POST":
        code = request.POST.get("project", "")
        if code:
            project_get(actor=request.user, code=code)  # a project outside scope is a 404, as everywhere
        form = forms.DefectForm(request.POST, actor=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                defect = services.defect_create(
                    source_complaint=complaint,
                    actor=request.user, project=d["project"], title=d["title"], description=d["description"], source=d["source"],
                    found_on=d["found_on"], series=d["series"], units=d["unit_list"], unit_types=d["unit_types"],
                    location=d["location"], cause_analysis=d["cause_analysis"], households_affected=d["households_affected"],
                    safety_risk=d["safety_risk"], complaint_risk=d["complaint_risk"], estimated_loss=d["estimated_loss"],
                    responsible_department=d["responsible_department"], owner=d["owner"], due_on=d["due_on"], tags=d["tags"],
                )
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                messages.success(request, _("Defect %(code)s reported.") % {"code": defect.code})
                return redirect(defect)
    elif complaint is not None:
        form = forms.DefectForm(actor=request.user, initial={
            "project": complaint.project.code, "title": complaint.title, "description": complaint.description,
            "source": Defect.Source.COMPLAINT, "found_on": timezone.localtime(complaint.created_at).date(),
            "units": complaint.unit.number if complaint.unit_id else "", "households_affected": 1 if complaint.unit_id else 0,
        })
    else:
        form = forms.DefectForm(actor=request.user, initial={"found_on": selectors.local_today(), "project": request.GET.get("project")})
    return render(request, "defects/defect_form.html", {"form": form, "complaint": complaint})


@login_required
def inspection_create(request):
    """Bulk entry of a handover or mock inspection's findings: one defect each, all or nothing."""
    if request.method == "POST":
        if request.POST.get("project"):
            project_get(actor=request.user, code=request.POST["project"])  # outside scope: 404
        form = forms.InspectionForm(request.POST, actor=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                created = services.defects_create_from_inspection(actor=request.user, project=d["project"], source=d["source"],
                                                                  found_on=d["found_on"], rows=d["rows"])
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error("findings" if field not in form.fields else field, errs)
            else:
                messages.success(request, _("%(n)s defects reported: %(first)s–%(last)s.") % {
                    "n": len(created), "first": created[0].code, "last": created[-1].code})
                return redirect(f"{reverse('defects:index')}?project={d['project'].code}")
    else:
        form = forms.InspectionForm(actor=request.user, initial={"found_on": selectors.local_today(), "source": Defect.Source.HANDOVER})
    return render(request, "defects/inspection_form.html", {"form": form})


@login_required
def defect_detail(request, pk):
    defect = selectors.defect_get(actor=request.user, pk=pk)
    actions = [
        {"action": a, "form": a.form(prefix=a.name)}
        for a in ACTIONS.values()
        if defect.status in a.statuses and (not a.grade or a.grade == defect.grade)
    ]
    entry = HandbookEntry.objects.filter(defect=defect).only("pk", "code").first()
    return render(request, "defects/defect_detail.html", {
        "defect": defect, "actions": actions, "photo_form": forms.PhotoForm(), "entry": entry,
        "events": list(defect.events.all()), "photos": list(defect.photos.all()),
        "decisions": list(defect.decisions.select_related("meeting").order_by("meeting__held_on")),
        "overdue": defect.is_overdue_on(selectors.local_today()),
    })


@login_required
@require_POST
def defect_action(request, pk, action):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    defect = selectors.defect_get_for_update(actor=request.user, pk=pk)
    form = spec.form(request.POST, prefix=spec.name)
    if not form.is_valid():
        for errs in form.errors.values():
            messages.error(request, "；".join(errs))
        return redirect(defect)
    try:
        _run_action(action, defect=defect, actor=request.user, data=form.cleaned_data)
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": spec.label})
    return redirect(defect)


@login_required
@require_POST
def photo_upload(request, pk):
    defect = selectors.defect_get_for_update(actor=request.user, pk=pk)
    if photos.request_too_large(request):
        messages.error(request, _("The photo is larger than 10 MB."))
        return redirect(defect)
    form = forms.PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a photo to upload."))
        return redirect(defect)
    try:
        services.photo_add(defect=defect, actor=request.user, upload=form.cleaned_data["image"], caption=form.cleaned_data["caption"])
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Photo added."))
    return redirect(defect)


@login_required
def photo_download(request, pk, variant):
    """Serve a photo only to staff of its project; never from a public media URL."""
    if variant not in ("full", "thumb"):
        raise Http404
    photo = selectors.photo_get(actor=request.user, pk=pk)
    field = photo.thumbnail if variant == "thumb" else photo.image
    content_type = "image/jpeg" if variant == "thumb" else photo.content_type
    try:
        handle = field.storage.open(field.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    filename = f"{photo.defect.code}-{photo.pk}{'-thumb' if variant == 'thumb' else ''}.{field.name.rsplit('.', 1)[-1]}"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- meetings


@login_required
def meeting_list(request):
    from estates.selectors import project_list

    page = Paginator(selectors.meeting_list(actor=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "defects/meeting_list.html", {"page": page, "projects": list(project_list(actor=request.user))})


@login_required
def meeting_list_export(request):
    """The review meetings as .xlsx: the page's rows and project scope (the page has no filters),
    every meeting, attendees prefetched per chunk. Attendees are staff: nothing to mask."""
    from estates.xlsx import capped, streamed_xlsx_response

    qs = selectors.meeting_list(actor=request.user).prefetch_related(
        Prefetch("attendees", queryset=User.objects.order_by("username"))
    )

    def rows():
        for m in qs.iterator(chunk_size=2000):
            yield [
                m.pk,
                m.held_on,
                m.project.code,
                m.project.name,
                m.decision_count,
                "、".join(a.display_name for a in m.attendees.all()),
                m.recorded_by.display_name if m.recorded_by_id else "",
                m.minutes,
            ]

    headers = [
        _("Meeting no."),
        _("Held on"),
        _("Project code"),
        _("Project"),
        _("Defects decided"),
        _("Attendees"),
        _("Recorded by"),
        _("Minutes"),
    ]
    return streamed_xlsx_response(
        filename=f"defect-meetings-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Review meetings"),
        headers=headers,
        rows=capped(rows(), EXPORT_MAX_ROWS),
        widths=[8, 11, 10, 16, 8, 30, 10, 60],
    )


@login_required
def meeting_create(request):
    project = project_get(actor=request.user, code=request.GET.get("project", ""))
    candidates = selectors.meeting_candidates(actor=request.user, project=project)
    attendees = selectors.project_staff(project=project)
    form = forms.MeetingForm(request.POST or None, attendees=attendees, candidates=candidates,
                             initial={"held_on": selectors.local_today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        decisions = [
            services.DecisionInput(
                defect=defect, grade=d[f"grade_{defect.pk}"], construction_capacity=d[f"capacity_{defect.pk}"],
                technical_feasibility=d[f"technical_{defect.pk}"], schedule_feasibility=d[f"schedule_{defect.pk}"],
                main_problems=d[f"problems_{defect.pk}"], decision=d[f"decision_{defect.pk}"], due_on=d[f"due_{defect.pk}"],
            )
            for defect in d["decided"]
        ]
        try:
            meeting = services.meeting_record(actor=request.user, project=project, held_on=d["held_on"], attendees=d["attendees"],
                                              minutes=d["minutes"], decisions=decisions)
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        except InvalidTransition as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Meeting recorded; %(n)s defects graded.") % {"n": len(decisions)})
            return redirect(meeting)
    return render(request, "defects/meeting_form.html", {"project": project, "form": form})


@login_required
def meeting_detail(request, pk):
    meeting = selectors.meeting_get(actor=request.user, pk=pk)
    return render(request, "defects/meeting_detail.html", {
        "meeting": meeting, "attendees": list(meeting.attendees.all()), "decisions": list(meeting.decisions.all()),
    })


# ---------------------------------------------------------------- handbook


def _handbook_qs(request):
    """The filtered handbook and the query string of its whitelisted filters (echoed in the page's links)."""
    form = forms.HandbookFilterForm(request.GET or None)
    query = {}
    if form.is_valid():
        d = form.cleaned_data
        qs = selectors.handbook_list(actor=request.user, search=d["q"], tag=d["tag"].pk if d["tag"] else None, grade=d["grade"])
        query = {k: v for k, v in {"q": d["q"], "tag": d["tag"].pk if d["tag"] else "", "grade": d["grade"]}.items() if v}
    else:
        qs = selectors.handbook_list(actor=request.user)
    return form, qs, urlencode(query)


@login_required
def handbook(request):
    form, qs, query = _handbook_qs(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "defects/handbook.html", {"form": form, "page": page, "query": query,
                                                     "print_all": request.GET.get("print") == "1"})


@login_required
def handbook_detail(request, pk):
    entry = selectors.handbook_get(actor=request.user, pk=pk)
    return render(request, "defects/handbook_detail.html", {"entry": entry, "tags": list(entry.tags.all())})


@login_required
def handbook_export(request):
    """The handbook (as filtered) as an Excel workbook, one row per entry."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    _form, qs, _query = _handbook_qs(request)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Defect handbook")[:31]
    headers = [_("Code"), _("Problem"), _("Project"), _("Grade"), _("Problem description"), _("Causes"), _("Impact"),
               _("Prevention measures"), _("Responsible departments"), _("Found on"), _("Tags")]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for e in qs.iterator(chunk_size=500):
        ws.append([safe_cell(v) for v in [
            e.code, e.title, e.project.name, e.grade, e.problem, e.causes, e.impact, e.prevention, e.responsible_departments,
            e.found_on, "、".join(t.name for t in e.tags.all()),
        ]])
    for column, width in zip("ABCDEFGHIJK", (8, 30, 18, 6, 50, 50, 30, 60, 20, 12, 30), strict=True):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="defect-handbook-{stamp}.xlsx"'
    return response


# ---------------------------------------------------------------- prevention


@login_required
def prevention_index(request):
    from estates.selectors import project_list

    projects = list(project_list(actor=request.user).filter(stage__in=selectors.PREVENTION_STAGES))
    return render(request, "defects/prevention_index.html", {"projects": projects})


@login_required
def prevention(request, code):
    project = selectors.project_for_prevention(actor=request.user, code=code)
    items = list(selectors.prevention_checklist(actor=request.user, project=project))
    tags_form = forms.ProjectTagsForm(initial={"tags": [pt.tag_id for pt in project.defect_tags.all()]})
    summary = {
        "total": len(items),
        "applied": sum(1 for i in items if i.status == PreventionChecklistItem.Status.APPLIED),
        "open": sum(1 for i in items if i.status == PreventionChecklistItem.Status.OPEN),
    }
    return render(request, "defects/prevention.html", {
        "project": project, "items": [(i, forms.TickForm(prefix=f"i{i.pk}", initial={"status": i.status, "evidence": i.evidence}))
                                      for i in items],
        "tags_form": tags_form, "summary": summary, "in_stage": project.stage in selectors.PREVENTION_STAGES,
    })


@login_required
@require_POST
def prevention_tags(request, code):
    project = selectors.project_for_prevention(actor=request.user, code=code)
    form = forms.ProjectTagsForm(request.POST)
    if form.is_valid():
        added = services.project_tags_set(project=project, actor=request.user, tags=form.cleaned_data["tags"])
        messages.success(request, _("Tags saved; %(n)s lessons added to the checklist.") % {"n": added})
    else:
        messages.error(request, _("Choose valid tags."))
    return redirect("defects:prevention", code=project.code)


@login_required
@require_POST
def prevention_tick(request, pk):
    item = selectors.prevention_item_get(actor=request.user, pk=pk)
    form = forms.TickForm(request.POST, prefix=f"i{item.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        try:
            services.prevention_item_tick(item=item, actor=request.user, status=form.cleaned_data["status"],
                                          evidence=form.cleaned_data["evidence"])
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Checklist updated."))
    return redirect("defects:prevention", code=item.project.code)
