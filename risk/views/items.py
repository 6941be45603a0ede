"""The overview, the risk register and risk-item pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from estates import selectors as estates_selectors
from estates.workflow import InvalidTransition, StaleVersion

from .. import exports, forms, selectors, services
from ..models import Event, RiskItem
from .common import _attach, _project

_FILTER_KEYS = {"status", "level", "source", "customer_view", "overdue", "project"}


def _register_filters(request) -> dict:
    g = request.GET
    overdue = {"1": True, "0": False}.get(g.get("overdue", ""))
    submitted = bool(_FILTER_KEYS & g.keys())  # unknown keys (and ?page=) keep the default
    return {
        "status": g.get("status", "" if submitted else "active"),
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
    edit = forms.RiskItemEditForm(
        initial={
            **{f: getattr(item, f) for f in ("title", "level", "source", "customer_view", "deadline", "description", "measures")},
            "owner": item.owner_id,
            "version": item.version,
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
        "edit": forms.RiskItemEditForm(owners=selectors.owner_choices(project=item.project), initial={"version": item.version}),
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
        form = forms.RiskItemEditForm(request.POST, owners=selectors.owner_choices(project=item.project))
        call = lambda d: services.risk_item_update(  # noqa: E731
            item=item, actor=request.user, expected_version=d.pop("version", None), **d
        )
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
    except StaleVersion as exc:
        # Someone saved first: the current item, the user's input kept, the version moved on.
        item = selectors.risk_item_get(actor=request.user, pk=pk)
        form.data = form.data.copy()
        form.data["version"] = str(item.version)
        form.add_error(None, exc.message)
        messages.error(request, exc.message)
        return _item_page(request, item, status=409, **{key: form})
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("risk:item-detail", pk=item.pk)
