import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from crm_site import tasks
from crm_site.dashboards import reports
from crm_site.models import MonthlyReport
from estates.models import Notification, Role
from tests.dashboards.factories import portfolio_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2026, 10, 1)


def test_report_freezes_the_month_figures(project):
    portfolio_rows(project, units=3, today=dt.date(2026, 10, 20), signed_days_ago=5)
    report, created = reports.monthly_report_build(project_id=project.pk, month=OCTOBER)
    assert created is True
    assert (report.month, report.data["portfolio"]["units"], report.data["portfolio"]["signed"]) == (OCTOBER, 3, 3)
    assert report.data["period"] == {"start": "2026-10-01", "end": "2026-10-31"}


def test_building_twice_returns_the_stored_report_and_notifies_once(project, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first, _ = reports.monthly_report_build(project_id=project.pk, month=OCTOBER)
        second, created = reports.monthly_report_build(project_id=project.pk, month=dt.date(2026, 10, 17))
    assert (second.pk, created) == (first.pk, False)
    assert MonthlyReport.objects.count() == 1
    assert Notification.objects.filter(recipient=manager, kind="monthly_report").count() == 1


def test_report_goes_to_project_managers_and_the_group_centre_only(project, other_project, manager, staff):
    pm = UserFactory(role=Role.PROJECT_MANAGER, projects=[project])
    centre = UserFactory(role=Role.GROUP_CENTRE)
    elsewhere = UserFactory(role=Role.CR_MANAGER, projects=[other_project])
    report, _ = reports.monthly_report_build(project_id=project.pk, month=OCTOBER)
    recipients = set(Notification.objects.filter(kind="monthly_report").values_list("recipient_id", flat=True))
    assert recipients == {manager.pk, pm.pk, centre.pk}
    assert staff.pk not in recipients and elsewhere.pk not in recipients
    assert MonthlyReport.objects.get(pk=report.pk).notified_at is not None


def test_report_email_is_sent_after_commit(project, manager, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        reports.monthly_report_build(project_id=project.pk, month=OCTOBER)
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert "2026-10" in mail.outbox[0].subject or "2026-10" in mail.outbox[0].body


@time_machine.travel(dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC))
def test_due_list_holds_projects_without_last_months_report(project, other_project):
    reports.monthly_report_build(project_id=project.pk, month=OCTOBER)
    assert reports.monthly_reports_due() == [other_project.pk]


@time_machine.travel(dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC))
def test_periodic_task_queues_one_build_per_missing_report(project, other_project, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert tasks.monthly_reports_build_due() == 2
    assert sorted(MonthlyReport.objects.values_list("project__code", "month")) == [
        (other_project.code, OCTOBER), (project.code, OCTOBER)]
    assert tasks.monthly_reports_build_due() == 0


def test_report_pages_show_the_stored_figures(client, manager, project):
    portfolio_rows(project, units=2, today=dt.date(2026, 10, 20))
    reports.monthly_report_build(project_id=project.pk, month=OCTOBER)
    client.force_login(manager)
    page = client.get(reverse("dashboards:report-detail", args=[project.code, "2026-10"]))
    assert page.status_code == 200
    assert page.context["data"]["portfolio"]["units"] == 2
    xlsx = client.get(reverse("dashboards:report-xlsx", args=[project.code, "2026-10"]))
    book = load_workbook(io.BytesIO(xlsx.content))
    overview = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert overview["房屋"] == 2


def test_report_of_another_project_is_404(client, staff, other_project):
    reports.monthly_report_build(project_id=other_project.pk, month=OCTOBER)
    client.force_login(staff)
    assert client.get(reverse("dashboards:report-detail", args=[other_project.code, "2026-10"])).status_code == 404
    assert client.get(reverse("dashboards:report-xlsx", args=[other_project.code, "2026-10"])).status_code == 404


def test_malformed_report_month_is_404(client, staff, project):
    client.force_login(staff)
    assert client.get(reverse("dashboards:report-detail", args=[project.code, "2026-13"])).status_code == 404


def test_staff_cannot_queue_a_report(client, staff, project):
    client.force_login(staff)
    assert client.post(reverse("dashboards:report-build", args=[project.code])).status_code == 403
