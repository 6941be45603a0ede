"""Staff pages for the portfolio: projects and customers."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import panels, selectors


@login_required
def project_list(request):
    projects = selectors.project_list(actor=request.user)
    return render(request, "estates/project_list.html", {"projects": projects})


@login_required
def project_detail(request, code):
    project = selectors.project_get(actor=request.user, code=code)
    units = Paginator(selectors.unit_list(actor=request.user, project=project, with_buyers=True), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "estates/project_detail.html",
        {"project": project, "units": units, "milestones": list(project.milestones.all()),
         "panels": panels.render_context("project", request, project)},
    )


@login_required
def customer_list(request):
    search = request.GET.get("q", "")
    customers = Paginator(selectors.customer_list(actor=request.user, search=search), 50).get_page(request.GET.get("page"))
    return render(request, "estates/customer_list.html", {"customers": customers, "q": search})


@login_required
def customer_detail(request, pk):
    customer = selectors.customer_get(actor=request.user, pk=pk)
    contracts = list(selectors.customer_contracts(actor=request.user, customer=customer))
    return render(
        request,
        "estates/customer_detail.html",
        {"customer": customer, "contracts": contracts, "panels": panels.render_context("customer", request, customer)},
    )


@login_required
def notification_list(request):
    from django.shortcuts import redirect

    from .notifications import notifications_for, notifications_mark_read

    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("estates:notification-list")
    page = Paginator(notifications_for(user=request.user).select_related("project"), 30).get_page(request.GET.get("page"))
    return render(request, "estates/notification_list.html", {"notifications": page})
