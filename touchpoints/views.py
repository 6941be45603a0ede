"""Staff pages: the catalogue by stage, its editing by the group centre, a project's checks and
coverage, and the contact form. Views parse input, fetch through selectors and call services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from estates import selectors as estates_selectors
from estates.models import LifecycleStage, Project

from . import selectors, services
from .forms import CatalogueFilterForm, CheckForm, ContactForm, SensitivityPointForm, StageForm, TouchpointForm
from .models import SensitivityPoint


def _require_editor(user):
    if not services.can_edit_catalogue(user):
        raise PermissionDenied


def _apply_errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _catalogue_filters(request) -> tuple[CatalogueFilterForm, str, str, int]:
    """The catalogue's filter form, the stage and grade it accepted, and the page status (the
    page and its export share them)."""
    form = CatalogueFilterForm(request.GET or None)
    stage = grade = ""
    status = 200
    if form.is_bound:
        if form.is_valid():
            stage, grade = form.cleaned_data["stage"], form.cleaned_data["grade"]
        else:
            status = 400
    return form, stage, grade, status


@login_required
def index(request):
    form, stage, grade, status = _catalogue_filters(request)
    counts = selectors.catalogue_counts()
    rows = [
        {"stage": value, "label": label, **counts.get(value, {"touchpoints": 0, "A": 0, "B": 0, "C": 0})}
        for value, label in LifecycleStage.choices
    ]
    totals = {k: sum(r[k] for r in rows) for k in ("touchpoints", "A", "B", "C")}
    touchpoints = list(selectors.touchpoint_catalogue(stage=stage or None, grade=grade or None)) if status == 200 else []
    projects = list(estates_selectors.project_list(actor=request.user))
    coverage = selectors.project_a_coverage(projects=projects)
    for p in projects:
        p.a_coverage = coverage[p.pk]
    return render(
        request,
        "touchpoints/index.html",
        {
            "form": form,
            "rows": rows,
            "totals": totals,
            "touchpoints": touchpoints,
            "stage": stage,
            "grade": grade,
            "stages": LifecycleStage.choices,
            "can_edit": services.can_edit_catalogue(request.user),
            "projects": projects,
        },
        status=status,
    )


@login_required
def index_export(request):
    """The catalogue the page lists, as .xlsx: one row per sensitivity point (a touchpoint without
    points of the chosen grade is not listed, as on the page), the page's stage and grade filters,
    text escaped against formula injection, in two queries whatever the size of the catalogue.
    The catalogue is shared by every project: no project data, nothing personal to mask."""
    from estates.templatetags.touchstone import loc
    from estates.xlsx import streamed_xlsx_response

    _form, stage, grade, status = _catalogue_filters(request)
    touchpoints = selectors.touchpoint_catalogue(stage=stage or None, grade=grade or None) if status == 200 else []

    def rows():
        for tp in touchpoints:
            for p in tp.points.all():
                yield [
                    tp.code,
                    tp.get_stage_display(),
                    loc(tp),
                    loc(tp.department),
                    p.grade,
                    p.code,
                    loc(p),
                    loc(p, "standard"),
                ]

    headers = [
        _("Touchpoint code"),
        _("Stage"),
        _("Touchpoint"),
        _("Department"),
        _("Grade"),
        _("Sensitivity point code"),
        _("Sensitivity point"),
        _("Standard that satisfies it"),
    ]
    return streamed_xlsx_response(
        filename=f"touchpoints-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Touchpoint catalogue"),
        headers=headers,
        rows=rows(),
        widths=[12, 10, 24, 14, 6, 14, 36, 48],
    )


def _save_form(request, form, save, success_url, template_context, template="touchpoints/form.html"):
    if request.method == "POST" and form.is_valid():
        try:
            save(form.save(commit=False))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(success_url)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, **template_context}, status=status)


@login_required
def touchpoint_edit(request):
    _require_editor(request.user)
    code = request.GET.get("code", "")
    if request.resolver_match.url_name == "touchpoint-edit" and not code:
        raise Http404
    touchpoint = selectors.touchpoint_get(code=code) if code else None
    form = TouchpointForm(request.POST or None, instance=touchpoint)
    title = _("Edit touchpoint") if touchpoint else _("New touchpoint")
    return _save_form(
        request,
        form,
        lambda obj: services.touchpoint_save(actor=request.user, touchpoint=obj),
        reverse("touchpoints:index") + (f"?stage={touchpoint.stage}" if touchpoint else ""),
        {"title": title},
    )


@login_required
def point_edit(request):
    _require_editor(request.user)
    code = request.GET.get("code", "") if request.resolver_match.url_name == "point-edit" else ""
    touchpoint_code = request.GET.get("touchpoint", "")
    if code:
        point = selectors.sensitivity_point_get(code=code)
        touchpoint = point.touchpoint
    else:
        touchpoint = selectors.touchpoint_get(code=touchpoint_code)
        point = SensitivityPoint(touchpoint=touchpoint)
    form = SensitivityPointForm(request.POST or None, instance=point)
    title = _("Edit sensitivity point") if code else _("New sensitivity point")
    return _save_form(
        request,
        form,
        lambda obj: services.sensitivity_point_save(actor=request.user, point=obj),
        reverse("touchpoints:index") + f"?stage={touchpoint.stage}",
        {"title": title, "touchpoint": touchpoint},
    )


@login_required
def project_checks(request, code):
    project = estates_selectors.project_get(actor=request.user, code=code)
    stage_form = StageForm(request.GET or None)
    stage = project.stage
    stage_invalid = stage_form.is_bound and not stage_form.is_valid()
    if stage_form.is_bound and not stage_invalid:
        stage = stage_form.cleaned_data["stage"] or project.stage
    status = 400 if stage_invalid else 200
    check_form = None
    if request.method == "POST":
        check_form = CheckForm(request.POST)
        if check_form.is_valid():
            try:
                point = selectors.sensitivity_point_get(code=check_form.cleaned_data["point"])
                services.point_check_record(
                    actor=request.user,
                    project=project,
                    point=point,
                    status=check_form.cleaned_data["status"],
                    evidence=check_form.cleaned_data["evidence"],
                )
            except Http404:
                check_form.add_error(None, _("Unknown sensitivity point."))
            except ValidationError as exc:
                _apply_errors(check_form, exc)
            else:
                messages.success(request, _("Answer recorded for %(code)s.") % {"code": point.code})
                return redirect(f"{request.path}?stage={point.touchpoint.stage}#{point.code}")
        status = 400
    return render(
        request,
        "touchpoints/project_checks.html",
        {
            "project": project,
            "stage": stage,
            "stage_form": stage_form,
            "stages": LifecycleStage.choices,
            "stage_label": LifecycleStage(stage).label if stage in LifecycleStage.values else stage,
            "points": [] if stage_invalid else selectors.project_checklist(project=project, stage=stage),
            "coverage": selectors.project_coverage(project=project, stage=stage),
            "follow_ups": selectors.follow_ups_with_risk_items(actor=request.user, project=project),
            "check_form": check_form,
            "statuses": CheckForm.base_fields["status"].choices,
        },
        status=status,
    )


@login_required
def follow_up_close(request, pk):
    follow_up = selectors.follow_up_get(actor=request.user, pk=pk)
    if request.method != "POST":
        return render(request, "touchpoints/follow_up_close.html", {"follow_up": follow_up})
    services.follow_up_close(actor=request.user, follow_up=follow_up, note=request.POST.get("note", "")[:1000])
    messages.success(request, _("Follow-up closed."))
    return redirect("touchpoints:project-checks", code=follow_up.project.code)


@login_required
def contact_create(request, customer_pk):
    customer = estates_selectors.customer_get(actor=request.user, pk=customer_pk)
    projects = Project.objects.filter(
        pk__in=estates_selectors.customer_contracts(actor=request.user, customer=customer).values("project_id")
    ).order_by("code")
    form = ContactForm(request.POST or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.contact_log(
                actor=request.user,
                customer=customer,
                project=data["project"],
                touchpoint=data["touchpoint"],
                channel=data["channel"],
                direction=data["direction"],
                sentiment=data["sentiment"],
                summary=data["summary"],
                occurred_at=data["occurred_at"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("estates:customer-detail", pk=customer.pk)
    return render(
        request,
        "touchpoints/contact_form.html",
        {"form": form, "customer": customer},
        status=400 if request.method == "POST" else 200,
    )
