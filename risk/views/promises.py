"""The sales-promise register: register, verify, change by proposal → negotiation → written confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates.workflow import InvalidTransition

from .. import forms, selectors, services
from ..models import Event
from .common import _attach, _project


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
