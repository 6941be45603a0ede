from datetime import timedelta

import pytest
from django.utils import timezone

from estates.models import Milestone
from risk import selectors, services
from risk.models import RiskItem
from tests.factories import ProjectFactory
from tests.risk.factories import open_item

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def fill(project, staff, n):
    for i in range(n):
        item = open_item(project, staff, title=f"风险{i}", level=["high", "medium", "low"][i % 3])
        if i % 2:
            RiskItem.objects.filter(pk=item.pk).update(deadline=TODAY() - timedelta(days=1))
    services.factor_create(
        project=project,
        factor_type="cemetery",
        description="公墓",
        distance_m=800,
        direction="W",
        info_source="踏勘",
        actor=staff,
    )
    services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)


@pytest.mark.parametrize("n", [2, 20])
def test_project_summary_runs_two_queries_whatever_the_size(group_user, n, django_assert_num_queries):
    projects = [ProjectFactory() for _ in range(3 if n == 2 else 6)]
    for p in projects:
        fill(p, group_user, n)
    with django_assert_num_queries(2):  # items + undisclosed factors (UNION ALL), latest reviews
        summary = selectors.risk_project_summary(actor=group_user)
    s = summary[projects[0].pk]
    assert s["open_total"] == n
    assert s["overdue"] == n // 2
    assert s["undisclosed_factors"] == 1
    assert s["sign_off"] == "open"


def test_project_summary_is_scoped(staff, project, other_project, group_user):
    fill(other_project, group_user, 2)
    assert other_project.pk not in selectors.risk_project_summary(actor=staff)


def test_summary_counts_levels_exactly(project, staff):
    open_item(project, staff, level="high")
    open_item(project, staff, level="high")
    closed = open_item(project, staff, level="low")
    services.risk_item_close(item=closed, actor=staff, closing_note="done")
    s = selectors.risk_project_summary(actor=staff)[project.pk]
    assert (s["open_high"], s["open_medium"], s["open_low"], s["open_total"], s["sign_off"]) == (2, 0, 0, 2, "none")


def test_milestone_deviations_measured_from_first_planned(project):
    start = TODAY() - timedelta(days=500)
    Milestone.objects.create(project=project, kind="land", planned_on=start, actual_on=start)
    Milestone.objects.create(
        project=project, kind="design", planned_on=start + timedelta(days=100), actual_on=start + timedelta(days=105)
    )
    Milestone.objects.create(project=project, kind="handover", planned_on=TODAY() + timedelta(days=100))
    rows = selectors.project_milestone_deviations(project=project)
    assert [(r["milestone"].kind, r["deviation"].percent, r["deviation"].flagged) for r in rows] == [
        ("land", None, False),
        ("design", 5, False),
        ("handover", None, False),
    ]


def test_api_idempotency_key_creates_once(api, project):
    body = {
        "project": "SZ-GG",
        "title": "t",
        "source": "product",
        "customer_view": "delivery",
        "level": "low",
        "deadline": (TODAY() + timedelta(days=3)).isoformat(),
    }
    first = api.post("/api/v1/risk/items/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post("/api/v1/risk/items/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert RiskItem.objects.count() == 1
