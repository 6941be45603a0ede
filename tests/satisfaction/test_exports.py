"""Excel exports of the invitation and follow-up lists: the pages' filters and scope, the same rows
as the pages, phones masked by role as the invitation page masks them, formula text escaped, a
constant number of queries, login required."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from estates.models import Customer, Role
from satisfaction import services
from satisfaction.models import FollowUp, Invitation
from tests.factories import UserFactory
from tests.xlsx_support import workbook_rows

from .conftest import answers_all, handover_for, make_contract

pytestmark = pytest.mark.django_db
INVITATIONS = "/satisfaction/invitations/export.xlsx"
FOLLOW_UPS = "/satisfaction/follow-ups/export.xlsx"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client




def export(client, url, query="") -> list[dict]:
    rows = workbook_rows(client.get(f"{url}?{query}" if query else url))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def two_projects(project, other_project, invitation):
    """Sent invitations in ``project`` (one with a low score, hence a follow-up) and in another project."""
    make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    make_contract(other_project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    services.response_submit(invitation=invitation, answers=answers_all(overall=1))
    other = Invitation.objects.get(project=other_project)
    services.response_submit(invitation=other, answers=answers_all(overall=1))
    return {"mine": invitation, "other": other}


def page_ids(client, name, query=""):
    return sorted(o.pk for o in client.get(f"{reverse(name)}?{query}").context["page"])


# --- Invitations -------------------------------------------------------------------------------------


def test_invitation_export_applies_the_pages_filters_and_scope(two_projects, staff_client, project, other_project):
    rows = export(staff_client, INVITATIONS)
    mine = sorted(Invitation.objects.filter(project=project).values_list("pk", flat=True))
    assert sorted(r["邀请编号"] for r in rows) == mine == page_ids(staff_client, "satisfaction:invitation-list")
    assert {r["项目"] for r in rows} == {project.code}
    assert two_projects["other"].pk not in {r["邀请编号"] for r in rows}
    status = Invitation.objects.get(pk=two_projects["mine"].pk).status
    for query in (f"status={status}", f"project={project.code}&wave=handover-3m", "status=skipped"):
        assert sorted(r["邀请编号"] for r in export(staff_client, INVITATIONS, query)) == page_ids(
            staff_client, "satisfaction:invitation-list", query
        ), query
    assert [r["邀请编号"] for r in export(staff_client, INVITATIONS, f"status={status}")] == [two_projects["mine"].pk]
    # Another project's code is not a choice of the form: the filter is dropped, the scope stays.
    assert {r["项目"] for r in export(staff_client, INVITATIONS, f"project={other_project.code}")} == {project.code}


def test_invitation_export_for_the_group_centre_covers_every_project(two_projects, group_user, other_project):
    client = login(group_user)
    assert len(export(client, INVITATIONS)) == Invitation.objects.count() == 3
    assert [r["邀请编号"] for r in export(client, INVITATIONS, f"project={other_project.code}")] == [two_projects["other"].pk]


@pytest.mark.parametrize("role", [Role.CR_STAFF, Role.CR_MANAGER, Role.PROJECT_MANAGER])
def test_invitation_export_masks_phones_by_role_as_the_page_does(two_projects, project, role):
    client = login(UserFactory(role=role, projects=[project]))
    invitation = two_projects["mine"]
    phone = Customer.objects.get(pk=invitation.customer_id).phone
    (row,) = [r for r in export(client, INVITATIONS) if r["邀请编号"] == invitation.pk]
    page = client.get(reverse("satisfaction:invitation-list")).content.decode()
    assert row["电话"] in page
    if role == Role.PROJECT_MANAGER:
        assert row["电话"] == phone[:3] + "****" + phone[-4:] and phone not in page
    else:
        assert row["电话"] == phone


def test_invitation_export_escapes_formula_text(invitation, staff_client):
    Customer.objects.filter(pk=invitation.customer_id).update(
        name='=HYPERLINK("http://evil.example","x")', phone="+8613912345678"
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(staff_client.get(INVITATIONS).streaming_content)))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    (row,) = list(sheet.iter_rows(min_row=2))
    owner, phone = row[header.index("业主姓名")], row[header.index("电话")]
    assert owner.data_type == "s" and owner.value == '\'=HYPERLINK("http://evil.example","x")'
    assert phone.data_type == "s" and phone.value == "'+8613912345678"


def test_invitation_export_query_count_does_not_grow_with_rows(staff_client, project, django_assert_max_num_queries):
    make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    with django_assert_max_num_queries(12) as small:
        assert len(export(staff_client, INVITATIONS)) == 1
    for _ in range(20):
        make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(export(staff_client, INVITATIONS)) == 21


def test_invitation_page_has_the_button_carrying_its_query(staff_client):
    html = staff_client.get("/satisfaction/invitations/").content.decode()
    assert f'href="{INVITATIONS}"' in html and "下载 Excel" in html
    html = staff_client.get("/satisfaction/invitations/?wave=handover-3m&status=sent").content.decode()
    assert f'href="{INVITATIONS}?wave=handover-3m&amp;status=sent"' in html


# --- Follow-ups --------------------------------------------------------------------------------------


def test_follow_up_export_applies_the_pages_filter_and_scope(two_projects, staff_client, project):
    mine = FollowUp.objects.get(project=project)
    rows = export(staff_client, FOLLOW_UPS)
    assert [r["跟进编号"] for r in rows] == [mine.pk] == page_ids(staff_client, "satisfaction:follow-up-list")
    assert rows[0]["项目"] == project.code and rows[0]["原因"] == mine.reason
    assert [r["跟进编号"] for r in export(staff_client, FOLLOW_UPS, "status=open")] == [mine.pk]
    assert export(staff_client, FOLLOW_UPS, "status=closed") == []
    assert [r["跟进编号"] for r in export(staff_client, FOLLOW_UPS, "status=bogus")] == [mine.pk]  # dropped, as on the page
    FollowUp.objects.filter(pk=mine.pk).update(status="closed")
    assert [r["状态"] for r in export(staff_client, FOLLOW_UPS, "status=closed")] == ["已关闭"]


def test_follow_up_export_for_the_group_centre_covers_every_project(two_projects, group_user):
    assert len(export(login(group_user), FOLLOW_UPS)) == FollowUp.objects.count() == 2


def test_follow_up_export_escapes_formula_text(two_projects, staff_client, project):
    FollowUp.objects.filter(project=project).update(reason="-1+1 @SUM(A1)")
    Customer.objects.filter(pk=two_projects["mine"].customer_id).update(name="+张三")
    (row,) = export(staff_client, FOLLOW_UPS)
    assert (row["原因"], row["业主姓名"]) == ("'-1+1 @SUM(A1)", "'+张三")


def test_follow_up_export_query_count_does_not_grow_with_rows(two_projects, staff_client, project, django_assert_max_num_queries):
    with django_assert_max_num_queries(12) as small:
        assert len(export(staff_client, FOLLOW_UPS)) == 1
    for _ in range(5):
        make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    for inv in Invitation.objects.filter(project=project, status="sent"):
        services.response_submit(invitation=inv, answers=answers_all(overall=1))
    many = FollowUp.objects.filter(project=project).count()
    assert many >= 6
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(export(staff_client, FOLLOW_UPS)) == many


def test_follow_up_page_has_the_button_carrying_its_query(staff_client):
    html = staff_client.get("/satisfaction/follow-ups/?status=open").content.decode()
    assert f'href="{FOLLOW_UPS}?status=open"' in html and "下载 Excel" in html


@pytest.mark.parametrize("url", [INVITATIONS, FOLLOW_UPS])
def test_exports_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
