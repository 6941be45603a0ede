"""Adverse factors outside the site boundary, their disclosure and the printable disclosure sheet."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import exports, forms, selectors, services
from ..models import AdverseFactor, Event
from .common import _attach, _project


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
