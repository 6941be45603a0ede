"""Versioned checklist templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates.workflow import InvalidTransition

from .. import forms, selectors, services
from ..models import Event
from .common import _attach


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
