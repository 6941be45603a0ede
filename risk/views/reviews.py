"""The project risk page and review pages (answered item by item on a tablet), and the sign-off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates.workflow import AuthorityExceeded, InvalidTransition

from .. import forms, selectors, services
from ..models import Answer, Event, RiskItem
from .common import _attach, _project


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
