"""Factories of the defects app."""

import factory
from factory.django import DjangoModelFactory

from defects.models import Defect, Tag
from tests.factories import ProjectFactory


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("kind", "name")

    kind = Tag.Kind.ELEMENT
    name = factory.Sequence(lambda n: f"部位{n}")


class DefectFactory(DjangoModelFactory):
    """A reported defect straight in the table (tests of services create theirs through defect_create)."""

    class Meta:
        model = Defect

    project = factory.SubFactory(ProjectFactory)
    series = "SJ"
    number = factory.Sequence(lambda n: n + 1)
    code = factory.LazyAttribute(lambda o: f"{o.series}{o.number:02d}")
    title = factory.Sequence(lambda n: f"缺陷{n}")
    description = "描述"
    source = Defect.Source.PATROL
    found_on = factory.LazyFunction(lambda: __import__("django.utils.timezone", fromlist=["x"]).localdate())
