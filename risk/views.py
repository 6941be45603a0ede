"""Staff pages of risk control. Each view parses input, fetches through a scoped selector, calls one
service and renders; service errors become form errors (400) or a message, never a 500."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates import selectors as estates_selectors
from estates.models import Project
from estates.workflow import AuthorityExceeded, InvalidTransition

from . import exports, forms, selectors, services
from .models import AdverseFactor, Answer, Event, RiskItem


def _attach(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e.messages)
    else:
        form.add_error(None, exc.messages)


def _project(request, code) -> Project:
    return estates_selectors.project_get(actor=request.user, code=code)


def _register_filters(request) -> dict:
    g = request.GET
    overdue = {"1": True, "0": False}.get(g.get("overdue", ""))
    return {
        "status": g.get("status", "active") if "status" in g or not g else g.get("status", ""),
        "level": g.get("level", ""),
        "source": g.get("source", ""),
        "customer_view": g.get("customer_view", ""),
        "overdue": overdue,
        "project_code": g.get("project", ""),
    }


def _register_queryset(request, f):
    project = None
    if f["project_code"]:
        project = _project(request, f["project_code"])
    status = f["status"] if f["status"] in {"", "active", *RiskItem.Status.values} else "active"
    return selectors.risk_item_list(
        actor=request.user,
        project=project,
        status=status,
        level=f["level"],
        source=f["source"],
        customer_view=f["customer_view"],
        overdue=f["overdue"],
    )


# --- overview and register ---------------------------------------------------------------------
@login_required
def index(request):
    projects = list(estates_selectors.project_list(actor=request.user))
    summary = selectors.risk_project_summary(actor=request.user, projects=projects)
    rows = [{"project": p, "s": summary.get(p.pk)} for p in projects]
    mine = list(selectors.risk_item_list(actor=request.user, owner=request.user, status="active")[:20])
    return render(request, "risk/index.html", {"rows": rows, "mine": mine, "today": timezone.localdate()})


@login_required
def item_list(request):
    f = _register_filters(request)
    page = Paginator(_register_queryset(request, f), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "risk/item_list.html",
        {
            "page": page,
            "f": f,
            "today": timezone.localdate(),
            "levels": RiskItem.Level.choices,
            "statuses": RiskItem.Status.choices,
            "sources": RiskItem.Source.choices,
            "views": RiskItem.CustomerView.choices,
            "projects": estates_selectors.project_list(actor=request.user),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def item_export(request):
    items = _register_queryset(request, _register_filters(request))
    body = exports.register_workbook(items, today=timezone.localdate())
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="risk-register-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


@login_required
def item_new(request, code):
    project = _project(request, code)
    form = forms.RiskItemForm(request.POST or None, owners=selectors.owner_choices(project=project))
    if request.method == "POST" and form.is_valid():
        try:
            item = services.risk_item_open(project=project, actor=request.user, origin="manual", **form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Risk item opened."))
            return redirect("risk:item-detail", pk=item.pk)
    return render(request, "risk/item_form.html", {"form": form, "project": project}, status=400 if form.errors else 200)


@login_required
def item_detail(request, pk):
    item = selectors.risk_item_get(actor=request.user, pk=pk)
    owners = selectors.owner_choices(project=item.project)
    edit = forms.RiskItemForm(
        initial={
            **{f: getattr(item, f) for f in ("title", "level", "source", "customer_view", "deadline", "description", "measures")},
            "owner": item.owner_id,
        },
        owners=owners,
    )
    return _item_page(request, item, edit=edit)


def _item_page(request, item, *, status=200, **form_overrides):
    ctx = {
        "item": item,
        "today": timezone.localdate(),
        "overdue_days": selectors.overdue_since(item),
        "events": selectors.events_for(subject=Event.Subject.ITEM, subject_id=item.pk),
        "edit": forms.RiskItemForm(owners=selectors.owner_choices(project=item.project)),
        "close_form": forms.CloseForm(),
        "reopen_form": forms.ReopenForm(),
        "follow_form": forms.FollowUpForm(),
    }
    ctx.update(form_overrides)
    return render(request, "risk/item_detail.html", ctx, status=status)


@login_required
@require_POST
def item_action(request, pk, action):
    item = selectors.risk_item_get(actor=request.user, pk=pk)
    specs = {
        "close": (forms.CloseForm, "close_form", lambda d: services.risk_item_close(item=item, actor=request.user, **d)),
        "reopen": (forms.ReopenForm, "reopen_form", lambda d: services.risk_item_reopen(item=item, actor=request.user, **d)),
        "follow": (forms.FollowUpForm, "follow_form", lambda d: services.risk_item_follow_up(item=item, actor=request.user, **d)),
        "start": (None, None, lambda d: services.risk_item_start(item=item, actor=request.user)),
    }
    if action == "update":
        form = forms.RiskItemForm(request.POST, owners=selectors.owner_choices(project=item.project))
        call = lambda d: services.risk_item_update(item=item, actor=request.user, **d)  # noqa: E731
        key = "edit"
    elif action in specs:
        form_class, key, call = specs[action]
        form = form_class(request.POST) if form_class else None
    else:
        raise Http404
    if form is not None and not form.is_valid():
        return _item_page(request, item, status=400, **{key: form})
    try:
        call(form.cleaned_data if form is not None else {})
    except ValidationError as exc:
        _attach(form, exc)
        return _item_page(request, item, status=400, **{key: form})
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("risk:item-detail", pk=item.pk)


# --- projects, reviews -------------------------------------------------------------------------
@login_required
def project_detail(request, code):
    project = _project(request, code)
    return render(
        request,
        "risk/project_detail.html",
        {
            "project": project,
            "summary": selectors.risk_project_summary(actor=request.user, projects=[project]).get(project.pk),
            "deviations": selectors.milestone_deviations(milestones=list(project.milestones.all())),
            "reviews": selectors.review_list(actor=request.user, project=project),
            "factors": selectors.factor_list(actor=request.user, project=project),
            "promises": selectors.promise_list(actor=request.user, project=project),
            "opening_blockers": selectors.blocker_summary_for_project(project=project),
            "review_form": forms.ReviewForm(initial={"scheduled_on": timezone.localdate()}),
            "items": selectors.risk_item_list(actor=request.user, project=project, status="active")[:50],
            "today": timezone.localdate(),
        },
    )


@login_required
def review_new(request, code):
    project = _project(request, code)
    form = forms.ReviewForm(request.POST or None, initial={"scheduled_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(project=project, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            return redirect("risk:review-detail", pk=review.pk)
    return render(request, "risk/review_form.html", {"form": form, "project": project}, status=400 if form.errors else 200)


def _review_page(request, review, *, forms_by_item=None, sign_off_form=None, reasons=None, status=200):
    owners = list(selectors.owner_choices(project=review.project))
    forms_by_item = forms_by_item or {}
    cards = []
    for answer in review.answers.all():
        form = forms_by_item.get(answer.item_id) or forms.AnswerForm(
            initial={
                "result": answer.result if answer.result != Answer.Result.PENDING else None,
                "evidence": answer.evidence,
                "note": answer.note,
                "title": answer.item.name,
                "level": RiskItem.Level.MEDIUM,
                "customer_view": "marketing" if review.kind == "pre_opening" else "delivery",
            },
            owners=owners,
            prefix=f"a{answer.item_id}",
        )
        cards.append({"answer": answer, "form": form})
    blockers = (
        reasons
        if reasons is not None
        else (
            []
            if review.status == "signed_off"
            else selectors.describe_blockers(selectors.review_sign_off_blockers(review=review))
        )
    )
    return render(
        request,
        "risk/review_detail.html",
        {
            "review": review,
            "cards": cards,
            "blockers": blockers,
            "sign_off_form": sign_off_form or forms.SignOffForm(),
            "events": selectors.events_for(subject=Event.Subject.REVIEW, subject_id=review.pk),
        },
        status=status,
    )


@login_required
def review_detail(request, pk):
    return _review_page(request, selectors.review_get(actor=request.user, pk=pk))


@login_required
@require_POST
def review_answer(request, pk, item_id):
    review = selectors.review_get(actor=request.user, pk=pk)
    answer = selectors.answer_get(actor=request.user, review=review, item_id=item_id)
    form = forms.AnswerForm(request.POST, owners=list(selectors.owner_choices(project=review.project)), prefix=f"a{item_id}")
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.review_answer(
                answer=answer,
                actor=request.user,
                result=d["result"],
                note=d["note"],
                evidence=d["evidence"],
                finding=form.finding(),
            )
        except ValidationError as exc:
            _attach(form, exc)
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("risk:review-detail", pk=pk)
        else:
            messages.success(request, _("Item %(n)s saved.") % {"n": answer.item.order})
            return redirect(f"{reverse('risk:review-detail', args=[pk])}#item-{item_id}")
    review = selectors.review_get(actor=request.user, pk=pk)
    return _review_page(request, review, forms_by_item={item_id: form}, status=400)


@login_required
@require_POST
def review_sign_off(request, pk):
    review = selectors.review_get(actor=request.user, pk=pk)
    form = forms.SignOffForm(request.POST)
    form.is_valid()
    try:
        services.review_sign_off(review=review, actor=request.user, note=form.cleaned_data.get("note", ""))
    except AuthorityExceeded as exc:
        messages.error(request, exc.message)
        return _review_page(request, review, sign_off_form=form, status=403)
    except services.SignOffBlocked as exc:
        messages.error(request, _("Sign-off refused."))
        return _review_page(request, review, sign_off_form=form, reasons=exc.reasons, status=409)
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Review signed off."))
    return redirect("risk:review-detail", pk=pk)


# --- adverse factors ---------------------------------------------------------------------------
@login_required
def factor_new(request, code):
    project = _project(request, code)
    form = forms.FactorForm(request.POST or None, types=selectors.factor_type_list())
    if request.method == "POST" and form.is_valid():
        try:
            factor = services.factor_create(project=project, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Adverse factor recorded. Disclose it before sales open."))
            return redirect("risk:factor-detail", pk=factor.pk)
    return render(request, "risk/factor_form.html", {"form": form, "project": project}, status=400 if form.errors else 200)


@login_required
def factor_detail(request, pk, form=None, status=200):
    factor = selectors.factor_get(actor=request.user, pk=pk)
    return render(
        request,
        "risk/factor_detail.html",
        {
            "factor": factor,
            "form": form or forms.DisclosureForm(initial={"disclosed_on": timezone.localdate()}),
            "events": selectors.events_for(subject=Event.Subject.FACTOR, subject_id=factor.pk),
        },
        status=status,
    )


@login_required
@require_POST
def factor_disclose(request, pk):
    factor = selectors.factor_get(actor=request.user, pk=pk)
    form = forms.DisclosureForm(request.POST)
    if form.is_valid():
        try:
            services.factor_disclose(factor=factor, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Disclosure recorded."))
            return redirect("risk:factor-detail", pk=pk)
    return factor_detail(request, pk, form=form, status=400)


@login_required
def disclosure_sheet(request, code):
    project = _project(request, code)
    factors = list(selectors.factor_list(actor=request.user, project=project))
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            exports.disclosure_workbook(project, factors),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="disclosure-{project.code}.xlsx"'
        return response
    return render(
        request,
        "risk/disclosure_sheet.html",
        {
            "project": project,
            "factors": factors,
            "printed_at": timezone.localtime(),
            "undisclosed": sum(1 for f in factors if f.status == AdverseFactor.Status.UNDISCLOSED),
        },
    )


# --- promises ----------------------------------------------------------------------------------
@login_required
def promise_new(request, code):
    project = _project(request, code)
    form = forms.PromiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            promise = services.promise_register(project=project, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            return redirect("risk:promise-detail", pk=promise.pk)
    return render(request, "risk/promise_form.html", {"form": form, "project": project}, status=400 if form.errors else 200)


def _promise_page(request, promise, status=200, **overrides):
    open_change = next((c for c in promise.changes.all() if c.status in ("proposed", "negotiating")), None)
    ctx = {
        "promise": promise,
        "open_change": open_change,
        "events": selectors.events_for(subject=Event.Subject.PROMISE, subject_id=promise.pk),
        "verify_form": forms.VerifyForm(),
        "propose_form": forms.ProposeChangeForm(),
        "negotiate_form": forms.NegotiateForm(),
        "confirm_form": forms.ConfirmForm(initial={"confirmed_on": timezone.localdate()}),
        "reject_form": forms.RejectForm(),
    }
    ctx.update(overrides)
    return render(request, "risk/promise_detail.html", ctx, status=status)


@login_required
def promise_detail(request, pk):
    return _promise_page(request, selectors.promise_get(actor=request.user, pk=pk))


@login_required
@require_POST
def promise_action(request, pk, action):
    promise = selectors.promise_get(actor=request.user, pk=pk)
    change = next((c for c in promise.changes.all() if c.status in ("proposed", "negotiating")), None)
    user = request.user
    specs = {
        "verify": (forms.VerifyForm, "verify_form", lambda d: services.promise_verify(promise=promise, actor=user, **d)),
        "propose": (
            forms.ProposeChangeForm,
            "propose_form",
            lambda d: services.promise_change_propose(promise=promise, actor=user, **d),
        ),
        "negotiate": (
            forms.NegotiateForm,
            "negotiate_form",
            lambda d: services.promise_change_negotiate(change=change, actor=user, **d),
        ),
        "confirm": (forms.ConfirmForm, "confirm_form", lambda d: services.promise_change_confirm(change=change, actor=user, **d)),
        "reject": (forms.RejectForm, "reject_form", lambda d: services.promise_change_reject(change=change, actor=user, **d)),
    }
    if action not in specs or (action in ("negotiate", "confirm", "reject") and change is None):
        raise Http404
    form_class, key, call = specs[action]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("risk:promise-detail", pk=pk)
        else:
            messages.success(request, _("Saved."))
            return redirect("risk:promise-detail", pk=pk)
    return _promise_page(request, selectors.promise_get(actor=user, pk=pk), status=400, **{key: form})


# --- checklist templates -----------------------------------------------------------------------
@login_required
def template_list(request):
    return render(request, "risk/template_list.html", {"templates": selectors.template_list()})


@login_required
def template_detail(request, pk):
    template = selectors.template_get(pk=pk)
    return render(
        request,
        "risk/template_detail.html",
        {
            "template": template,
            "frozen": not template.is_current or template.reviews.exists(),
            "events": selectors.events_for(subject=Event.Subject.TEMPLATE, subject_id=template.pk),
        },
    )


@login_required
@require_POST
def template_new_version(request, pk):
    template = selectors.template_get(pk=pk)
    try:
        new = services.checklist_template_new_version(
            template=template, actor=request.user, notes=request.POST.get("notes", "")[:1000]
        )
    except InvalidTransition as exc:
        messages.error(request, exc.message)
        return redirect("risk:template-detail", pk=pk)
    messages.success(request, _("Version %(v)s created.") % {"v": new.version})
    return redirect("risk:template-detail", pk=new.pk)


@login_required
def template_item_edit(request, pk):
    item = selectors.checklist_item_get(pk=pk)
    form = forms.ChecklistItemForm(
        request.POST or None,
        initial={
            "name": item.name,
            "name_en": item.name_en,
            "guidance": item.guidance,
            "guidance_en": item.guidance_en,
            "lead_department": item.lead_department_id,
            "participating_departments": list(item.participating_departments.values_list("pk", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            d = form.cleaned_data
            services.checklist_item_update(
                item=item,
                actor=request.user,
                name=d["name"],
                name_en=d["name_en"],
                guidance=d["guidance"],
                guidance_en=d["guidance_en"],
                lead_department=d["lead_department"],
                participating_departments=list(d["participating_departments"]),
            )
        except ValidationError as exc:
            _attach(form, exc)
        except InvalidTransition as exc:
            messages.error(request, exc.message)
            return redirect("risk:template-detail", pk=item.template_id)
        else:
            messages.success(request, _("Saved."))
            return redirect("risk:template-detail", pk=item.template_id)
    return render(request, "risk/template_item_form.html", {"form": form, "item": item}, status=400 if form.errors else 200)
