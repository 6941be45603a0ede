import random

import pytest
from django.utils import timezone

from crm_site.demo_context import DemoContext
from estates.demo import load_portfolio
from risk import demo, services
from risk.models import AdverseFactor, Review


@pytest.mark.django_db
def test_demo_has_landfill_project_whose_review_is_blocked():
    rng = random.Random(1)
    projects, staff, customers, contracts, _ = load_portfolio(rng, timezone.localdate(), 30)
    summary = demo.load(
        DemoContext(rng=rng, today=timezone.localdate(), projects=projects, staff=staff, customers=customers, contracts=contracts)
    )
    assert demo.LANDFILL_CODE in summary
    landfill = AdverseFactor.objects.get(project__code=demo.LANDFILL_CODE, factor_type__code="landfill")
    assert landfill.status == "undisclosed"
    review = Review.objects.get(project__code=demo.LANDFILL_CODE)
    assert services.project_sales_opening_blockers(landfill.project)
    gm = review.project.staff.get(username="gm")
    with pytest.raises(services.SignOffBlocked):
        services.review_sign_off(review=review, actor=gm)
    delivery = Review.objects.get(kind="pre_delivery")
    with pytest.raises(services.SignOffBlocked) as exc:
        services.review_sign_off(review=delivery, actor=gm)
    assert any("恒温泳池" in r for r in exc.value.reasons)
