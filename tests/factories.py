"""Factories for the portfolio. Each app keeps its own in tests/<app>/factories.py."""

import random
from datetime import date, timedelta

import factory
from factory.django import DjangoModelFactory

from estates.models import ApiClient, Building, Contract, Customer, Department, Project, Role, Unit, User
from estates.validators import id_number_check_char


def make_id_number(seq: int) -> str:
    first17 = f"440305198{(seq % 9) + 1}0{(seq % 9) + 1}1{seq % 10}{seq % 1000:03d}"[:17]
    first17 = first17.ljust(17, "0")
    return first17 + id_number_check_char(first17)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"测试花园{n}期")
    city = "深圳"
    stage = "sales"


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"{n % 30 + 1}栋")


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    project = factory.SelfAttribute("building.project")
    number = factory.Sequence(lambda n: f"{n // 100 + 1}-{n % 100 + 101}")
    unit_type = "A"
    area_m2 = 89


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"CUST-{n}")
    name = factory.Sequence(lambda n: f"业主{n}")
    phone = factory.Sequence(lambda n: f"138{n % 100000000:08d}")
    id_number = factory.Sequence(make_id_number)
    income_band = "mid"
    age_band = "30_44"


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract
        skip_postgeneration_save = True

    external_id = factory.Sequence(lambda n: f"CON-{n}")
    unit = factory.SubFactory(UnitFactory)
    project = factory.SelfAttribute("unit.project")
    signed_on = factory.LazyFunction(lambda: date.today() - timedelta(days=400))
    handover_on = factory.LazyFunction(lambda: date.today() - timedelta(days=30))

    @factory.post_generation
    def customers(self, create, extracted, **kwargs):
        if not create:
            return
        self.customers.set(extracted if extracted is not None else [CustomerFactory()])


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Sequence(lambda n: f"员工{n}")
    role = Role.CR_STAFF
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pass-Touchstone-1")

    @factory.post_generation
    def projects(self, create, extracted, **kwargs):
        if create and extracted:
            self.projects.set(extracted)


def api_client_with_key(*, name: str | None = None, project_codes=(), **kwargs) -> tuple[ApiClient, str]:
    from estates.services import api_client_create

    return api_client_create(name=name or f"sales-{random.randint(0, 10**9)}", project_codes=list(project_codes), **kwargs)
