"""Both apps' demo loaders run against a small demo context and leave realistic records."""

import random
from datetime import date

import pytest

from crm_site.demo_context import DemoContext
from estates.models import Contract, Role
from segments import demo as segments_demo
from segments.models import CustomerSegment, ParcelAssessment
from tests.factories import UserFactory
from tests.segments.conftest import buyer_in
from touchpoints import demo as touchpoints_demo
from touchpoints.models import CustomerContact, FollowUp, PointCheck

pytestmark = pytest.mark.django_db


def test_demo_loaders_assign_segments_and_add_checks_and_contacts(project, other_project):
    customers = [buyer_in(p, income_band=b) for p in (project, other_project) for b in ("low", "mid", "high")]
    staff = {role.value: [UserFactory(role=role, projects=[project, other_project])] for role in Role}
    ctx = DemoContext(rng=random.Random(7), today=date(2026, 11, 23), projects=[project, other_project], staff=staff,
                      customers=customers, contracts=list(Contract.objects.select_related("project")))
    touchpoints_demo.load(ctx)
    summary = segments_demo.load(ctx)
    assert PointCheck.objects.filter(project=project).count() > 5
    assert FollowUp.objects.exists()
    assert CustomerContact.objects.count() >= 6
    assert CustomerSegment.objects.filter(segment__isnull=False).count() == 6
    assert ParcelAssessment.objects.get().best_segment.code == "young_professional"
    assert "社会新锐" in summary
