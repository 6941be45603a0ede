"""Staff pages: segments with profiles and shares, assignment rules, bulk recompute runs, the
override on the customer page, and parcel assessments (the city map)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates import selectors as estates_selectors

from . import selectors, services
from .forms import AssignmentRuleForm, OverrideForm, ParcelForm, PeriodForm
from .models import AssignmentRule


def _apply_errors(form, exc: ValidationError):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def index(request):
    code = request.GET.get("project", "")
    project = estates_selectors.project_get(actor=request.user, code=code) if code else None
    shares = selectors.segment_shares(actor=request.user, project=project)
    period_form = PeriodForm(request.GET)
    start, end = period_form.period()
    rates = selectors.segment_complaint_rates(actor=request.user, start=start, end=end, project=project, shares=shares)
    english = request.LANGUAGE_CODE == "en"
    rate_chart = {
        "labels": [r["segment"].name_en if english else r["segment"].name for r in rates["rows"]],
        "values": [round(r["per_100"], 1) if r["per_100"] is not None else None for r in rates["rows"]],
        "series": _("Complaints per 100 households"),
    }
    chart = {
        "labels": [r["segment"].name if request.LANGUAGE_CODE != "en" else r["segment"].name_en for r in shares["rows"]],
        "shares": [round(r["share"] * 100, 1) if r["share"] is not None else 0 for r in shares["rows"]],
        "reference": [round(r["reference_share"] * 100, 1) if r["reference_share"] is not None else None for r in shares["rows"]],
        "series": [_("Share of customers (%)"), _("Seed reference (%)")],
    }
    return render(
        request,
        "segments/index.html",
        {
            "segments": list(selectors.segment_list()),
            "shares": shares,
            "chart": chart,
            "rates": rates,
            "rate_chart": rate_chart,
            "period_form": period_form,
            "project": project,
            "by_project": selectors.segment_shares_by_project(actor=request.user),
            "projects": list(estates_selectors.project_list(actor=request.user)),
            "can_edit_rules": services.can_edit_rules(request.user),
            "can_recompute": services.can_override(request.user),
        },
    )


@login_required
def rules(request):
    return render(
        request,
        "segments/rules.html",
        {
            "rules": list(selectors.rule_list()),
            "can_edit": services.can_edit_rules(request.user),
            "runs": selectors.recompute_runs(),
            "can_recompute": services.can_override(request.user),
        },
    )


@login_required
def rule_edit(request):
    if not services.can_edit_rules(request.user):
        raise PermissionDenied
    pk = request.GET.get("pk", "")
    if request.resolver_match.url_name == "rule-edit" and not pk:
        raise Http404
    rule = selectors.rule_get(pk=pk) if pk else AssignmentRule()
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_rule_save(actor=request.user, rule=form.save(commit=False))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Rule saved. Start a recompute to apply it to existing customers."))
            return redirect("segments:rules")
    return render(
        request, "segments/rule_form.html", {"form": form, "rule": rule}, status=400 if request.method == "POST" else 200
    )


@login_required
@require_POST
def recompute_start(request):
    _run, created = services.segment_recompute_start(actor=request.user)
    if created:
        messages.success(request, _("Recompute queued."))
    else:
        messages.info(request, _("A recompute is already under way."))
    return redirect("segments:rules")


@login_required
def customer_override(request, customer_pk):
    customer, assignment = selectors.customer_segment_get(actor=request.user, customer_pk=customer_pk)
    if request.method != "POST":
        form = OverrideForm(initial={"segment": assignment.segment_id if assignment else None})
        return render(request, "segments/override.html", {
            "customer": customer, "assignment": assignment, "form": form, "can_override": services.can_override(request.user),
        })
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.customer_segment_override(
                actor=request.user, customer=customer, segment=form.cleaned_data["segment"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Segment updated."))
    else:
        messages.error(
            request,
            _("The segment was not changed: %(errors)s")
            % {"errors": " ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
    return redirect(reverse("estates:customer-detail", args=[customer.pk]) + "#segment")


EXPORT_MAX_ROWS = 200_000  # a bound on one file


@login_required
def parcels_export(request):
    """The parcel assessments the page lists, as .xlsx: every one in the reader's scope (the page
    shows the newest 50; it has no filters), newest first, text escaped against formula injection,
    one query for the rows. Parcels carry no personal data."""
    from estates.templatetags.touchstone import loc
    from estates.xlsx import capped, streamed_xlsx_response

    qs = selectors.parcel_list(actor=request.user)

    def rows():
        for p in qs.iterator(chunk_size=2000):
            yield [
                p.pk,
                p.name,
                p.project.code,
                p.project.name,
                p.location,
                loc(p.best_segment),
                p.created_by,
                p.created_at,
                p.note,
            ]

    headers = [
        _("Parcel no."),
        _("Parcel"),
        _("Project code"),
        _("Project"),
        _("Parcel location"),
        _("Best fit"),
        _("Assessed by"),
        _("When"),
        _("Note"),
    ]
    return streamed_xlsx_response(
        filename=f"parcels-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Parcel assessments"),
        headers=headers,
        rows=capped(rows(), EXPORT_MAX_ROWS),
        widths=[9, 24, 10, 16, 24, 14, 12, 17, 40],
    )


@login_required
def parcels(request):
    projects = estates_selectors.project_list(actor=request.user)
    form = ParcelForm(request.POST or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            parcel = services.parcel_assess(
                actor=request.user,
                project=data["project"],
                name=data["name"],
                location=data["location"],
                attribute_codes=[a.code for a in data["attributes"]],
                note=data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return redirect("segments:parcel-detail", pk=parcel.pk)
    return render(
        request,
        "segments/parcels.html",
        {
            "form": form,
            "parcels": list(selectors.parcel_list(actor=request.user)[:50]),
            "matrix": selectors.land_checklist_matrix(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def parcel_detail(request, pk):
    parcel = selectors.parcel_get(actor=request.user, pk=pk)
    names = {a.code: a for a in selectors.land_attributes()}
    scores = list(parcel.scores.all())
    for s in scores:
        s.driver_attrs = [names[c] for c in s.drivers if c in names]
        s.gap_attrs = [names[c] for c in s.gaps if c in names]
    return render(request, "segments/parcel_detail.html", {"parcel": parcel, "scores": scores})
