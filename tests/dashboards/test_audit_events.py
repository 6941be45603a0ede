"""Managers' edits to the scorecard and the monthly reports leave an audit trail: who, when, what
changed (old → new), written in the transaction of the edit and shown on the scorecard page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from crm_site.dashboards import scorecard
from crm_site.models import DashboardEvent, ScorecardMeasure
from estates.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Kind = DashboardEvent.Kind
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def login(client, user):
    client.force_login(user)
    return client


def events(project):
    return list(DashboardEvent.objects.filter(project=project).order_by("at", "pk"))


def add_measure(client, project, **overrides):
    data = {
        "add_measure": "1",
        "new-perspective": "learning",
        "new-objective_title": "员工能力",
        "new-name": "培训课时",
        "new-unit": "小时",
        "new-target": "16",
        "new-direction": "gte",
        "new-kpi_key": "",
    }
    data.update({f"new-{k}": v for k, v in overrides.items()})
    return client.post(reverse("dashboards:scorecard-edit", args=[project.code]) + "?month=2026-10", data)


def test_adding_a_measure_records_who_when_and_what(client, manager, project):
    add_measure(login(client, manager), project)
    (e,) = events(project)
    measure = ScorecardMeasure.objects.get(name="培训课时")
    assert (e.kind, e.actor, e.actor_label, e.at, e.subject, e.subject_id) == (
        Kind.MEASURE_CREATED,
        manager,
        manager.display_name,
        NOW,
        "培训课时",
        measure.pk,
    )
    assert e.before == {}
    assert e.after == {
        "perspective": "learning",
        "objective": "员工能力",
        "name": "培训课时",
        "unit": "小时",
        "target": "16",
        "direction": "gte",
        "kpi_key": "",
    }


def test_changing_a_measure_records_only_what_changed_old_and_new(manager, project):
    m = scorecard.scorecard_measure_save(
        project=project,
        actor=manager,
        perspective="internal",
        objective_title="闭环",
        name="按期关闭率",
        unit="%",
        target=Decimal("90"),
        direction="gte",
    )
    scorecard.scorecard_measure_save(
        project=project,
        actor=manager,
        perspective="internal",
        objective_title="闭环",
        name="按期关闭率",
        unit="%",
        target=Decimal("95.50"),
        direction="gte",
        measure=m,
    )
    # Saving the same values again changes nothing and records nothing.
    scorecard.scorecard_measure_save(
        project=project,
        actor=manager,
        perspective="internal",
        objective_title="闭环",
        name="按期关闭率",
        unit="%",
        target=Decimal("95.5"),
        direction="gte",
        measure=m,
    )
    created, updated = events(project)
    assert (created.kind, updated.kind) == (Kind.MEASURE_CREATED, Kind.MEASURE_UPDATED)
    assert (updated.before, updated.after) == ({"target": "90"}, {"target": "95.5"})


def test_a_refused_duplicate_writes_no_event(manager, project):
    scorecard.scorecard_measure_save(
        project=project,
        actor=manager,
        perspective="internal",
        objective_title="闭环",
        name="按期关闭率",
        unit="%",
        target=Decimal("90"),
        direction="gte",
    )
    with pytest.raises(ValueError):
        scorecard.scorecard_measure_save(
            project=project,
            actor=manager,
            perspective="internal",
            objective_title="闭环",
            name="按期关闭率",
            unit="%",
            target=Decimal("80"),
            direction="gte",
        )
    assert [e.kind for e in events(project)] == [Kind.MEASURE_CREATED]


def test_actuals_entered_changed_and_removed_are_each_recorded(client, manager, project):
    login(client, manager)
    add_measure(client, project)
    measure = ScorecardMeasure.objects.get(name="培训课时")
    url = reverse("dashboards:scorecard-edit", args=[project.code]) + "?month=2026-10"
    client.post(url, {"save_actuals": "1", f"a-m{measure.pk}": "18"})
    client.post(url, {"save_actuals": "1", f"a-m{measure.pk}": "18.00"})  # the same value: no event
    client.post(url, {"save_actuals": "1", f"a-m{measure.pk}": "12"})
    client.post(url, {"save_actuals": "1", f"a-m{measure.pk}": ""})
    trail = [(e.kind, e.before, e.after) for e in events(project)][1:]
    assert trail == [
        (Kind.ACTUAL_RECORDED, {"month": "2026-10-01"}, {"month": "2026-10-01", "value": "18"}),
        (Kind.ACTUAL_RECORDED, {"month": "2026-10-01", "value": "18"}, {"month": "2026-10-01", "value": "12"}),
        (Kind.ACTUAL_REMOVED, {"month": "2026-10-01", "value": "12"}, {"month": "2026-10-01"}),
    ]


def test_seeding_and_deleting_are_recorded(client, manager, project):
    login(client, manager)
    client.post(reverse("dashboards:scorecard-seed", args=[project.code]))
    client.post(reverse("dashboards:scorecard-seed", args=[project.code]))  # nothing new: no event
    measure = ScorecardMeasure.objects.get(name="维修费用")
    client.post(reverse("dashboards:scorecard-measure-delete", args=[project.code, measure.pk]))
    seeded, deleted = events(project)
    assert seeded.kind == Kind.SEEDED and len(seeded.after["measures"]) == 13
    assert (deleted.kind, deleted.subject, deleted.subject_id, deleted.before["target"], deleted.actor) == (
        Kind.MEASURE_DELETED,
        "维修费用",
        measure.pk,
        "100",
        manager,
    )


def test_refused_edits_leave_no_trail(client, staff, project):
    login(client, staff)
    assert client.post(reverse("dashboards:scorecard-seed", args=[project.code])).status_code == 403
    assert client.post(reverse("dashboards:report-build", args=[project.code])).status_code == 403
    assert events(project) == []


def test_report_request_and_build_are_recorded(client, manager, project, django_capture_on_commit_callbacks):
    from crm_site.dashboards.reports import monthly_report_build

    login(client, manager)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("dashboards:report-build", args=[project.code]))
    report, created = monthly_report_build(project_id=project.pk, month=dt.date(2026, 10, 1))
    assert created
    requested, built = events(project)
    assert (requested.kind, requested.actor, requested.after) == (
        Kind.REPORT_REQUESTED,
        manager,
        {"month": "2026-10-01", "already_built": False},
    )
    assert (built.kind, built.actor, built.actor_label, built.subject_id, built.subject) == (
        Kind.REPORT_BUILT,
        None,
        "system",
        report.pk,
        "2026-10",
    )
    monthly_report_build(project_id=project.pk, month=dt.date(2026, 10, 1))  # already there: no second event
    assert len(events(project)) == 2


def test_scorecard_page_shows_the_history_in_chinese(client, manager, project):
    m = scorecard.scorecard_measure_save(
        project=project,
        actor=manager,
        perspective="internal",
        objective_title="闭环",
        name="按期关闭率",
        unit="%",
        target=Decimal("90"),
        direction="gte",
    )
    scorecard.scorecard_measure_save(
        project=project,
        actor=manager,
        perspective="internal",
        objective_title="闭环",
        name="按期关闭率",
        unit="%",
        target=Decimal("95"),
        direction="gte",
        measure=m,
    )
    reader = UserFactory(role=Role.CR_STAFF, projects=[project])
    html = login(client, reader).get(reverse("dashboards:scorecard", args=[project.code])).content.decode()
    assert "修改记录" in html and "修改指标" in html and "新增指标" in html
    assert "90 → 95" in html
    assert manager.display_name in html


def test_another_projects_history_is_not_shown(client, manager, project, other_project):
    boss = UserFactory(role=Role.GROUP_CENTRE)
    scorecard.scorecard_measure_save(
        project=other_project,
        actor=boss,
        perspective="internal",
        objective_title="闭环",
        name="别的项目指标",
        unit="%",
        target=Decimal("90"),
        direction="gte",
    )
    html = login(client, manager).get(reverse("dashboards:scorecard", args=[project.code])).content.decode()
    assert "别的项目指标" not in html


def test_scorecard_page_queries_do_not_grow_with_the_history(client, manager, project, django_assert_max_num_queries):
    login(client, manager)
    m = scorecard.scorecard_measure_save(
        project=project,
        actor=manager,
        perspective="internal",
        objective_title="闭环",
        name="按期关闭率",
        unit="%",
        target=Decimal("90"),
        direction="gte",
    )
    url = reverse("dashboards:scorecard", args=[project.code])
    with django_assert_max_num_queries(60) as first:
        client.get(url)
    for i in range(30):
        scorecard.scorecard_measure_save(
            project=project,
            actor=manager,
            perspective="internal",
            objective_title="闭环",
            name="按期关闭率",
            unit="%",
            target=Decimal(91 + i),
            direction="gte",
            measure=m,
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(url)
    assert len(response.context["history"]) == 20
