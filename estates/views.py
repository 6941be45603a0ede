"""Staff pages for the portfolio: projects and customers."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, panels, selectors
from .models import Customer, LifecycleStage

EXPORT_MAX_ROWS = 200_000  # a bound on one file, as the complaint inbox's export; the filters narrow anything larger


@login_required
def project_list(request):
    projects = selectors.project_list(actor=request.user)
    return render(request, "estates/project_list.html", {"projects": projects})



@login_required
def project_export(request):
    """The project list as .xlsx: the page's scope and order, one query."""
    from .xlsx import capped, streamed_xlsx_response

    stages = dict(LifecycleStage.choices)
    qs = selectors.project_list(actor=request.user)
    rows = ([p.code, p.name, p.city, stages.get(p.stage, p.stage), p.unit_count] for p in qs.iterator(chunk_size=2000))
    return streamed_xlsx_response(
        filename=f"projects-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Projects"),
        headers=[_("Code"), _("Project name"), _("City"), _("Lifecycle stage"), _("Unit count")],
        rows=capped(rows, EXPORT_MAX_ROWS),
        widths=[12, 24, 10, 12, 8],
    )


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
def customer_export(request):
    """The customer list as .xlsx: the page's search and scope, phones and ID numbers masked by the
    reader's role as the pages mask them, one query streamed into the workbook."""
    from .xlsx import capped, streamed_xlsx_response

    user = request.user
    qs = selectors.customer_list(actor=user, search=request.GET.get("q", ""))
    bands = dict(Customer.IncomeBand.choices)

    def rows():
        for c in qs.iterator(chunk_size=2000):
            yield [
                c.pk,
                c.name,
                access.phone_for(user, c.phone),
                access.id_number_for(user, c.id_number),
                c.external_id or "",
                "、".join(str(age) for age in c.children_ages or []),
                _("Yes") if c.elderly_living_in else "",
                bands.get(c.income_band, c.income_band),
            ]

    return streamed_xlsx_response(
        filename=f"customers-{timezone.localdate():%Y%m%d}.xlsx",
        sheet_title=_("Customers"),
        headers=[
            _("Customer id"),
            _("Name"),
            _("Phone"),
            _("ID number"),
            _("External id"),
            _("Children's ages"),
            _("Elderly at home"),
            _("Income band"),
        ],
        rows=capped(rows(), EXPORT_MAX_ROWS),
        widths=[8, 12, 14, 20, 14, 12, 8, 10],
    )


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
