"""Staff pages: results, invitations, follow-ups, waves, templates, runs, the Excel export."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates.access import phone_for
from estates.models import Role
from estates.selectors import project_list
from estates.spreadsheets import safe_cell
from estates.templatetags.touchstone import loc
from estates.workflow import InvalidTransition

from . import selectors, services, tasks
from .forms import FollowUpForm, InvitationFilterForm, QuestionReviseForm, ScoreFilterForm, WaveForm
from .models import FollowUp, Invitation

# Who may change waves and templates, and start a run by hand.
MANAGER_ROLES = frozenset({Role.CR_MANAGER, Role.GROUP_CENTRE, Role.ADMIN})


def _require_manager(user) -> None:
    if not (user.is_superuser or user.role in MANAGER_ROLES):
        raise PermissionDenied


def is_manager(user) -> bool:
    return user.is_superuser or user.role in MANAGER_ROLES


def _score_filters(request):
    # Bound only when a filter of the form is given: unknown keys (?ordering=...) keep the defaults.
    bound = request.GET if set(request.GET) & set(ScoreFilterForm.base_fields) else None
    form = ScoreFilterForm(bound, projects=project_list(actor=request.user), waves=selectors.wave_list())
    data = form.cleaned_data if form.is_valid() else {}
    return (
        form,
        {
            "project": data.get("project"),
            "wave": data.get("wave"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        },
        data.get("group_by") or "wave",
    )


def _chart_rows(rows):
    return [r.as_dict() for r in rows]


@login_required
def index(request):
    """Results: headline scores, scores by the chosen grouping, and charts comparing waves over time."""
    form, filters, group_by = _score_filters(request)
    headline = selectors.headline(actor=request.user, **filters)
    rows = selectors.scores(actor=request.user, group_by=group_by, **filters)
    by_wave = rows if group_by == "wave" else selectors.scores(actor=request.user, group_by="wave", **filters)
    by_dimension = selectors.scores(actor=request.user, group_by="dimension", **filters)
    by_period = selectors.scores(actor=request.user, group_by="period", **filters)
    counts = selectors.invitation_status_counts(actor=request.user, project=filters["project"])
    chart_data = {
        "labels": {
            "index": _("Satisfaction index"),
            "recommend": _("Recommend score"),
            "rate": _("Response rate"),
            "satisfied": _("Share satisfied"),
        },
        "wave": _chart_rows(by_wave),
        "dimension": _chart_rows(by_dimension),
        "period": _chart_rows(by_period),
    }
    return render(
        request,
        "satisfaction/index.html",
        {
            "form": form,
            "headline": headline,
            "rows": rows,
            "group_by": group_by,
            "chart_data": chart_data,
            "segments_available": selectors.segment_selector() is not None,
            "query": request.GET.urlencode(),
            "status_counts": counts,
            "status_rows": [(value, label, counts[value]) for value, label in Invitation.Status.choices if value in counts],
        },
    )


def _invitations(request):
    """The invitation list's filter form and the invitations it selects (the page and its export share them)."""
    form = InvitationFilterForm(
        request.GET or None,
        projects=project_list(actor=request.user),
        waves=selectors.wave_list(),
        statuses=Invitation.Status.choices,
    )
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.invitation_list(
        actor=request.user, project=data.get("project"), wave=data.get("wave"), status=data.get("status", "")
    )
    return form, qs


@login_required
def invitation_list(request):
    form, qs = _invitations(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "satisfaction/invitation_list.html", {"form": form, "page": page})


@login_required
def invitation_detail(request, pk):
    invitation = selectors.invitation_get(actor=request.user, pk=pk)
    return render(
        request, "satisfaction/invitation_detail.html", {"invitation": invitation, "events": list(invitation.events.all())}
    )


EXPORT_MAX_ROWS = 200_000  # a bound on one file; the filters narrow anything larger


def _capped(qs, row):
    """Rows of ``qs`` streamed from one query, at most EXPORT_MAX_ROWS of them, then a note."""
    from estates.xlsx import capped

    return capped((row(obj) for obj in qs.iterator(chunk_size=2000)), EXPORT_MAX_ROWS)


@login_required
def invitation_export(request):
    """The invitation list as .xlsx: the page's filters and scope, phones masked by the reader's
    role as the page masks them, text escaped against formula injection, one query for the rows."""
    from estates.xlsx import streamed_xlsx_response

    _form, qs = _invitations(request)
    user = request.user
    statuses, reasons = dict(Invitation.Status.choices), dict(Invitation.SkipReason.choices)

    def row(inv):
        return [
            inv.pk,
            inv.project.code,
            loc(inv.wave),
            inv.contract.unit.number if inv.contract_id else "",
            inv.customer.name,
            phone_for(user, inv.customer.phone or ""),
            inv.due_on,
            inv.closes_on,
            statuses.get(inv.status, inv.status),
            reasons.get(inv.skip_reason, inv.skip_reason) if inv.skip_reason else "",
            inv.reminder_count,
        ]

    headers = [
        _("Invitation no."),
        _("Project"),
        _("Wave"),
        _("Unit"),
        _("Owner name"),
        _("Phone"),
        _("Due on"),
        _("Closes on"),
        _("Status"),
        _("Skip reason"),
        _("Reminders"),
    ]
    return streamed_xlsx_response(
        filename=f"satisfaction-invitations-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Invitations"),
        headers=headers,
        rows=_capped(qs, row),
        widths=[10, 10, 20, 10, 12, 14, 11, 11, 10, 16, 8],
    )


def _follow_up_status(request) -> str:
    status = request.GET.get("status", "")
    return status if status in FollowUp.Status.values else ""


@login_required
def follow_up_export(request):
    """The follow-up list as .xlsx: the page's status filter and scope, text escaped against
    formula injection, one query for the rows. The page shows no phone or ID number."""
    from estates.xlsx import streamed_xlsx_response

    qs = selectors.follow_up_list(actor=request.user, status=_follow_up_status(request))
    statuses = dict(FollowUp.Status.choices)

    def row(f):
        return [
            f.pk,
            f.created_at,
            f.project.code,
            f.response.invitation.customer.name,
            f.reason,
            statuses.get(f.status, f.status),
            f.assignee.display_name if f.assignee_id else "",
        ]

    headers = [_("Follow-up no."), _("Opened"), _("Project"), _("Owner name"), _("Reason"), _("Status"), _("Assignee")]
    return streamed_xlsx_response(
        filename=f"satisfaction-follow-ups-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Follow-ups"),
        headers=headers,
        rows=_capped(qs, row),
        widths=[10, 17, 10, 12, 40, 10, 12],
    )


@login_required
def follow_up_list(request):
    status = _follow_up_status(request)
    page = Paginator(selectors.follow_up_list(actor=request.user, status=status), 50).get_page(request.GET.get("page"))
    return render(
        request, "satisfaction/follow_up_list.html", {"page": page, "status": status, "statuses": FollowUp.Status.choices}
    )


@login_required
def follow_up_detail(request, pk):
    follow_up = selectors.follow_up_get(actor=request.user, pk=pk)
    form = FollowUpForm(request.POST or None, initial={"status": follow_up.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.follow_up_transition(
                follow_up=follow_up, actor=request.user, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except InvalidTransition as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Follow-up updated."))
        return redirect("satisfaction:follow-up-detail", pk=follow_up.pk)
    return render(
        request,
        "satisfaction/follow_up_detail.html",
        {
            "follow_up": follow_up,
            "form": form,
            "events": list(follow_up.events.all()),
            "answers": list(follow_up.response.answers.all()),
            "customer": follow_up.response.invitation.customer,
        },
    )


@login_required
def wave_list(request):
    return render(request, "satisfaction/wave_list.html", {"waves": selectors.wave_list(), "can_edit": is_manager(request.user)})


def _wave_values(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if k != "code"}


@login_required
def wave_edit(request, pk=None):
    _require_manager(request.user)
    wave = selectors.wave_get(pk=pk) if pk is not None else None
    form = WaveForm(request.POST or None, instance=wave)
    if request.method == "POST" and form.is_valid():
        try:
            if wave is None:
                wave = services.wave_create(actor=request.user, code=form.cleaned_data["code"], **_wave_values(form))
            else:
                services.wave_update(wave=wave, actor=request.user, **_wave_values(form))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Wave saved."))
            return redirect("satisfaction:wave-list")
    return render(request, "satisfaction/wave_form.html", {"form": form, "wave": wave}, status=400 if form.errors else 200)


@login_required
def template_list(request):
    return render(request, "satisfaction/template_list.html", {"templates": selectors.template_list(current_only=False)})


@login_required
def template_detail(request, pk):
    template = selectors.template_get(pk=pk)
    questions = list(template.questions.all())
    if request.method == "POST":
        _require_manager(request.user)
        form = QuestionReviseForm(request.POST)
        if form.is_valid():
            try:
                fresh = services.template_question_revise(template=template, actor=request.user, **form.cleaned_data)
            except InvalidTransition as exc:
                messages.error(request, exc.message)
            except ValueError:
                messages.error(request, _("No such question."))
            else:
                messages.success(request, _("Version %(v)s published.") % {"v": fresh.version})
                return redirect("satisfaction:template-detail", pk=fresh.pk)
        else:
            messages.error(request, _("Check the question text."))
    forms = [
        QuestionReviseForm(initial={"key": q.key, "text": q.text, "text_en": q.text_en, "required": q.required}, prefix=None)
        for q in questions
    ]
    return render(
        request,
        "satisfaction/template_detail.html",
        {
            "template": template,
            "rows": list(zip(questions, forms, strict=True)),
            "can_edit": is_manager(request.user) and template.is_current,
            "versions": list(selectors.template_versions(code=template.code)),
        },
    )


@login_required
def run_list(request):
    page = Paginator(selectors.run_list(), 30).get_page(request.GET.get("page"))
    return render(request, "satisfaction/run_list.html", {"page": page, "can_run": is_manager(request.user)})


@login_required
@require_POST
def run_start(request):
    _require_manager(request.user)
    transaction.on_commit(partial(tasks.satisfaction_daily_run.delay))
    messages.success(request, _("The run was queued; refresh this page to follow it."))
    return redirect("satisfaction:run-list")


@login_required
def response_export(request):
    """Responses as .xlsx, in the same scope as the pages; phones masked by the reader's role."""
    from openpyxl import Workbook

    _form, filters, _group = _score_filters(request)
    responses = selectors.response_list(actor=request.user, **filters)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Responses"))
    keys = [
        "overall",
        "quality",
        "design",
        "sales",
        "property",
        "service",
        "issues",
        "recommend",
        "repurchase",
        "contact",
        "comment",
    ]
    sheet.append([_("Project"), _("Wave"), _("Unit"), _("Owner name"), _("Phone"), _("Submitted at"), _("Template version"), *keys])
    for r in responses.iterator(chunk_size=500):
        answers = {a.question.key: a for a in r.answers.all()}
        cells = []
        for key in keys:
            a = answers.get(key)
            if a is None:
                cells.append("")
            elif a.value_int is not None:
                cells.append(a.value_int)
            else:
                cells.append(a.value_text or ",".join(a.value_choices))
        customer = r.invitation.customer
        sheet.append(
            [
                safe_cell(v)
                for v in [
                    r.project.code,
                    r.wave.name,
                    r.invitation.contract.unit.number,
                    customer.name,
                    phone_for(request.user, customer.phone),
                    timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M"),
                    r.template_id,
                    *cells,
                ]
            ]
        )
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="satisfaction-{timezone.localdate():%Y%m%d}.xlsx"'
    book.save(response)
    return response
