"""Scope factories for the access matrix (tests/security/routes.py): one object of ``project`` per route."""

from tests.factories import ContractFactory, UnitFactory


def _customer(project):
    return ContractFactory(unit=UnitFactory(building__project=project)).customers.get()


def make_customer_pk(project) -> dict:
    return {"pk": _customer(project).pk}


def make_customer_customer_pk(project) -> dict:
    return {"customer_pk": _customer(project).pk}


def make_parcel(project) -> dict:
    from segments import services

    parcel = services.parcel_assess(actor=None, project=project, name="scope test", attribute_codes=["near_offices"])
    return {"pk": parcel.pk}


FACTORIES = {
    "api-customer-segment": make_customer_pk,
    "api-customer-segment-override": make_customer_pk,
    "segments:customer-override": make_customer_customer_pk,
    "api-parcel-detail": make_parcel,
    "segments:parcel-detail": make_parcel,
}
