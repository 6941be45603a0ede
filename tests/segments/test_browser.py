"""Screenshots of the segments page (profiles, shares against the seed's reference) and a parcel."""

import os

import pytest
from django.conf import settings
from django.test import Client

from segments import services
from segments.fixtures.seed import TIANJIN_PARCEL
from tests.browser_support import SCREENSHOTS as SHOTS
from tests.browser_support import new_page
from tests.segments.conftest import buyer_in, reseed

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium, live_server, manager):
    """The shared chromium launch (tests/conftest.py), logged in by session cookie."""
    reseed("segments", "0002_seed")
    client = Client()
    client.force_login(manager)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    pg = new_page(
        chromium,
        viewport={"width": 1400, "height": 1000},
        timezone_id=None,
        cookies=[{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}],
    )
    pg.base = live_server.url
    return pg


def test_screenshot_of_segments_with_shares_chart(page, project):
    mix = [{"income_band": "high"}] * 3 + [{"income_band": "low"}] * 7 + [{"age_band": "under_30"}] * 9 + \
          [{"children_ages": [7]}] * 8 + [{"elderly_living_in": True}] * 3
    services.customer_segments_recompute(customer_ids=[buyer_in(project, **facts).pk for facts in mix])
    page.goto(f"{page.base}/segments/")
    page.wait_for_selector("#segment-share-chart canvas")
    assert page.locator("#segment-shares tbody tr").count() == 7
    page.screenshot(path=str(SHOTS / "segments-index.png"), full_page=True)


def test_screenshot_of_the_tianjin_parcel(page, project, manager):
    parcel = services.parcel_assess(actor=manager, project=project, name="天津河西区候选地块", location="天津市河西区",
                                    attribute_codes=TIANJIN_PARCEL)
    page.goto(f"{page.base}/segments/parcels/{parcel.pk}/")
    assert page.locator("#scores tbody tr").first.get_attribute("data-segment") == "young_professional"
    page.screenshot(path=str(SHOTS / "segments-parcel-tianjin.png"), full_page=True)


def test_screenshot_of_complaints_per_100_households(page, project, manager):
    import importlib

    from django.apps import apps

    from complaints.models import SlaPolicy
    from tests.complaints.factories import file_complaint

    if not SlaPolicy.objects.exists():  # a transactional test flushed the seeded policies
        importlib.import_module("complaints.migrations.0002_seed_policies").seed(apps, None)
    mix = [({"income_band": "high"}, 2), ({"income_band": "low"}, 1), ({"age_band": "under_30"}, 1), ({"children_ages": [7]}, 3)]
    for facts, filed in mix:
        customers = [buyer_in(project, **facts) for _ in range(4)]
        services.customer_segments_recompute(customer_ids=[c.pk for c in customers])
        for i in range(filed):
            file_complaint(project=project, actor=manager, customer=customers[i % len(customers)])
    page.goto(f"{page.base}/segments/")
    page.wait_for_selector("#segment-complaint-chart canvas")
    assert page.locator("#segment-complaint-rates tbody tr").count() == 7
    assert page.locator('#segment-complaint-rates tr[data-segment="education_first"] td').last.inner_text() == "75.0"
    page.locator("#complaint-rates").screenshot(path=str(SHOTS / "segments-complaints-per-100.png"))
