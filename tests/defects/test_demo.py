import random
from datetime import date

import pytest

from crm_site.demo_context import DemoContext
from defects import demo
from defects.models import Defect, HandbookEntry, PreventionChecklistItem
from estates.demo import load_portfolio
from estates.models import Notification

pytestmark = pytest.mark.django_db


def test_demo_loads_every_step_of_the_flow():
    rng = random.Random(1)
    today = date(2026, 11, 23)
    projects, staff, customers, contracts, _passwords = load_portfolio(rng, today, 30)
    summary = demo.load(DemoContext(rng=rng, today=today, projects=projects, staff=staff, customers=customers, contracts=contracts))
    assert summary.startswith("6 defects")  # no complaints loaded here, so none from a complaint
    statuses = set(Defect.objects.values_list("status", flat=True))
    assert statuses == {"closed", "reported_to_gm", "rectifying", "awaiting_acceptance", "reported"}
    assert HandbookEntry.objects.count() == 2
    assert PreventionChecklistItem.objects.filter(status="applied").count() == 1
    assert Notification.objects.filter(kind="defect_escalation").exists()
