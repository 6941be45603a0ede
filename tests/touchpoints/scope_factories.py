"""Scope factories for the access matrix (tests/security/routes.py): one object of ``project`` per route."""

from tests.factories import ContractFactory, UnitFactory


def make_project(project) -> dict:
    return {"code": project.code}


def make_follow_up(project) -> dict:
    from estates.models import Role
    from tests.factories import UserFactory
    from touchpoints import services
    from touchpoints.models import SensitivityPoint

    actor = UserFactory(role=Role.CR_STAFF, projects=[project])
    point = SensitivityPoint.objects.filter(grade="A").order_by("code").first()
    check = services.point_check_record(actor=actor, project=project, point=point, status="issue", evidence="scope test")
    return {"pk": check.follow_up.pk}


def make_customer(project) -> dict:
    contract = ContractFactory(unit=UnitFactory(building__project=project))
    return {"customer_pk": contract.customers.get().pk}


FACTORIES = {
    "touchpoints:project-checks": make_project,
    "api-touchpoint-coverage": make_project,
    "touchpoints:follow-up-close": make_follow_up,
    "touchpoints:contact-create": make_customer,
}
