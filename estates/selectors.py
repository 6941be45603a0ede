"""Reads of the portfolio, always scoped to the actor."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from .access import get_in_scope_or_404, project_ids_for, scope_to_actor
from .models import Contract, Customer, Milestone, Project, Unit


def project_list(*, actor) -> QuerySet[Project]:
    return scope_to_actor(Project.objects.all(), actor, project_field="pk").annotate(
        unit_count=Count("units", distinct=True)
    ).order_by("city", "code")


def project_get(*, actor, code: str) -> Project:
    qs = Project.objects.prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("planned_on")))
    return get_in_scope_or_404(qs, actor, project_field="pk", code=code)


def project_get_by_pk(*, actor, pk) -> Project:
    return get_in_scope_or_404(Project.objects.all(), actor, project_field="pk", pk=pk)


def unit_list(*, actor, project: Project | None = None, with_buyers: bool = False) -> QuerySet[Unit]:
    qs = scope_to_actor(Unit.objects.select_related("project", "building"), actor)
    if with_buyers:
        # Buyers of a cancelled (rescinded) contract are no longer the unit's owners.
        active = Contract.objects.filter(status=Contract.Status.ACTIVE).prefetch_related("customers")
        qs = qs.prefetch_related(Prefetch("contracts", queryset=active))
    if project is not None:
        qs = qs.filter(project=project)
    return qs.order_by("project__code", "number")


def unit_get(*, actor, pk) -> Unit:
    return get_in_scope_or_404(Unit.objects.select_related("project", "building"), actor, pk=pk)


def customer_list(*, actor, search: str = "", project: Project | None = None) -> QuerySet[Customer]:
    """Customers with at least one contract in the actor's projects (an EXISTS, not a join)."""
    ids = project_ids_for(actor)
    contracts = Contract.objects.filter(customers=OuterRef("pk"))
    if ids is not None:
        contracts = contracts.filter(project_id__in=ids)
    if project is not None:
        contracts = contracts.filter(project=project)
    qs = Customer.objects.filter(Exists(contracts)) if (ids is not None or project is not None) else Customer.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Customer.objects.none()
    search = (search or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in a string: never a 500
    if search:
        unit_match = Contract.objects.filter(customers=OuterRef("pk"), unit__number__icontains=search)
        if ids is not None:
            unit_match = unit_match.filter(project_id__in=ids)
        qs = qs.filter(Q(name__icontains=search) | Q(phone__contains=search) | Q(external_id=search) | Exists(unit_match))
    return qs.order_by("name", "pk")


def customer_get(*, actor, pk) -> Customer:
    try:
        return customer_list(actor=actor).get(pk=pk)
    except (Customer.DoesNotExist, ValueError, TypeError):
        from django.http import Http404

        raise Http404 from None


def customer_contracts(*, actor, customer: Customer) -> QuerySet[Contract]:
    return scope_to_actor(customer.contracts.select_related("project", "unit__building"), actor).order_by("-signed_on")


def customer_get_by_external_id(*, actor, external_id: str) -> Customer:
    try:
        return customer_list(actor=actor).get(external_id=external_id)
    except Customer.DoesNotExist:
        from django.http import Http404

        raise Http404 from None


def contract_list(*, actor, project: Project | None = None) -> QuerySet[Contract]:
    qs = scope_to_actor(Contract.objects.select_related("project", "unit__building"), actor)
    if project is not None:
        qs = qs.filter(project=project)
    return qs.prefetch_related("customers")
