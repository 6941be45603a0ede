import io
from datetime import date

import pytest
from openpyxl import load_workbook

from defects import services
from defects.models import Defect, PreventionChecklistItem, ReviewMeeting
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(graded, eng_staff, skylight_tags):
    defect = graded("B", tags=skylight_tags)
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="措施", prevention="天窗应避免用木材")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    return defect.handbook_entry


def test_list_page_renders_and_filters(staff_client, graded, make_defect):
    graded("A", due_on=date(2026, 6, 1))
    make_defect(title="外墙渗水")
    page = staff_client.get("/defects/?grade=A").content.decode()
    assert "屋面天窗渗水" in page and "外墙渗水" not in page
    assert "外墙渗水" in staff_client.get("/defects/?overdue=false").content.decode()
    unfiltered = staff_client.get("/defects/").content.decode()
    assert "屋面天窗渗水" in unfiltered and "外墙渗水" in unfiltered


def test_list_page_query_count_is_constant(staff_client, make_defect, skylight_tags, django_assert_max_num_queries):
    for _ in range(2):
        make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(20) as small:
        staff_client.get("/defects/")
    for _ in range(18):
        make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = staff_client.get("/defects/").content.decode()
    assert page.count('class="mono"><a href="/defects/') == 20


def test_list_filters_for_the_dashboard_drill_downs(staff_client, graded, make_defect):
    """open / graded / chased / found_from–found_to narrow the list, and the page shows the total."""
    graded("A", due_on=date(2026, 6, 1))  # graded: open, chased
    make_defect(title="外墙渗水", found_on=date(2026, 3, 1))  # reported: open, ungraded, not chased

    def codes(query):
        response = staff_client.get(f"/defects/?{query}")
        assert f'data-total="{response.context["page"].paginator.count}"' in response.content.decode()
        return sorted(d.title for d in response.context["page"])

    assert codes("open=true") == ["外墙渗水", "屋面天窗渗水"]
    assert codes("open=false") == []
    assert codes("graded=false") == ["外墙渗水"]
    assert codes("graded=true") == ["屋面天窗渗水"]
    assert codes("chased=true") == ["屋面天窗渗水"]
    assert codes("chased=false") == ["外墙渗水"]
    assert codes("found_from=2026-03-01&found_to=2026-03-01") == ["外墙渗水"]
    assert codes("found_from=2026-03-02") == ["屋面天窗渗水"]


def test_list_page_query_count_is_constant_with_the_new_filters(staff_client, make_defect, skylight_tags,
                                                                 django_assert_max_num_queries):
    query = "/defects/?open=true&graded=false&chased=false&found_from=2026-01-01&found_to=2026-12-31"
    for _ in range(2):
        make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(20) as small:
        staff_client.get(query)
    for _ in range(18):
        make_defect(tags=skylight_tags)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = staff_client.get(query).content.decode()
    assert page.count('class="mono"><a href="/defects/') == 20 and 'data-total="20"' in page


def test_defect_page_of_another_project_is_404(client, make_defect, other_project):
    defect = make_defect()
    client.force_login(UserFactory(projects=[other_project]))
    assert client.get(f"/defects/{defect.pk}/").status_code == 404
    assert client.post(f"/defects/{defect.pk}/submit/", {}).status_code == 404


def test_staff_page_create_in_another_project_is_404(staff_client, other_project, engineering):
    response = staff_client.post("/defects/new/", {
        "project": other_project.code, "series": "SJ", "title": "x", "description": "y", "source": "patrol",
        "households_affected": 0, "found_on": "2026-05-01",
    })
    assert response.status_code == 404
    assert Defect.objects.count() == 0


def test_create_page_shows_errors_and_writes_nothing(staff_client, project):
    response = staff_client.post("/defects/new/", {"project": project.code, "series": "SJ", "title": "", "description": "y",
                                                   "source": "patrol", "households_affected": 0, "found_on": "2026-05-01",
                                                   "due_on": "2026-04-01", "units": "9-999"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"title", "units"}
    assert Defect.objects.count() == 0


def test_create_page_creates_and_redirects(staff_client, project, engineering):
    response = staff_client.post("/defects/new/", {"project": project.code, "series": "SJ", "title": "屋面天窗渗水", "description": "进水",
                                                   "source": "warranty", "households_affected": 56, "found_on": "2026-05-01",
                                                   "responsible_department": engineering.pk})
    defect = Defect.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/defects/{defect.pk}/"


def test_action_not_allowed_shows_a_message(staff_client, make_defect):
    defect = make_defect()
    response = staff_client.post(f"/defects/{defect.pk}/verify/", {}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]
    defect.refresh_from_db()
    assert defect.status == "reported"


def test_defect_page_shows_the_timeline_and_the_next_actions(staff_client, graded):
    defect = graded("A")
    page = staff_client.get(f"/defects/{defect.pk}/").content.decode()
    assert 'data-action="draft-measures"' in page and 'data-action="report-to-gm"' not in page
    assert "评审" in page or "Graded" in page


def test_meeting_page_refuses_without_the_head(staff_client, make_defect, project, staff, eng_head):
    defect = make_defect()
    response = staff_client.post(f"/defects/meetings/new/?project={project.code}", {
        "held_on": "2026-05-10", "attendees": [staff.pk], "minutes": "纪要", f"grade_{defect.pk}": "A",
        f"capacity_{defect.pk}": "feasible", f"technical_{defect.pk}": "feasible", f"schedule_{defect.pk}": "feasible",
    })
    assert response.status_code == 200
    assert "attendees" in response.context["form"].errors
    assert ReviewMeeting.objects.count() == 0


def test_meeting_page_refuses_grade_c(staff_client, make_defect, project, staff, eng_head):
    defect = make_defect()
    response = staff_client.post(f"/defects/meetings/new/?project={project.code}", {
        "held_on": "2026-05-10", "attendees": [staff.pk, eng_head.pk], "minutes": "纪要", f"grade_{defect.pk}": "C",
        f"capacity_{defect.pk}": "feasible", f"technical_{defect.pk}": "feasible", f"schedule_{defect.pk}": "feasible",
    })
    assert f"grade_{defect.pk}" in response.context["form"].errors
    assert ReviewMeeting.objects.count() == 0


def test_meeting_page_records_and_shows_the_minutes(staff_client, make_defect, project, staff, eng_head):
    defect = make_defect()
    response = staff_client.post(f"/defects/meetings/new/?project={project.code}", {
        "held_on": "2026-05-10", "attendees": [staff.pk, eng_head.pk], "minutes": "天窗问题评审", f"grade_{defect.pk}": "A",
        f"capacity_{defect.pk}": "feasible", f"technical_{defect.pk}": "limited", f"schedule_{defect.pk}": "feasible",
    })
    meeting = ReviewMeeting.objects.get()
    assert response["Location"] == f"/defects/meetings/{meeting.pk}/"
    page = staff_client.get(response["Location"]).content.decode()
    assert "天窗问题评审" in page and "王工" in page


def test_meeting_page_for_another_project_is_404(staff_client, other_project):
    assert staff_client.get(f"/defects/meetings/new/?project={other_project.code}").status_code == 404


def test_handbook_page_searches_and_prints(staff_client, entry):
    assert "屋面天窗渗水" in staff_client.get("/defects/handbook/?q=木材").content.decode()
    assert "屋面天窗渗水" not in staff_client.get("/defects/handbook/?q=电梯").content.decode()
    printable = staff_client.get("/defects/handbook/?print=1").content.decode()
    assert "entry-sheet" in printable and "data-print" in printable


def test_handbook_detail_escapes_user_text(staff_client, graded, eng_staff):
    defect = graded("B", title="<script>alert(1)</script>")
    services.defect_draft_measures(defect=defect, actor=eng_staff, measures="m", prevention="<b>p</b>")
    services.defect_report_to_gm(defect=defect, actor=eng_staff)
    page = staff_client.get(f"/defects/handbook/{defect.handbook_entry.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_handbook_export_is_an_excel_workbook(staff_client, entry):
    response = staff_client.get("/defects/handbook/export.xlsx?q=木材")
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == "SJ01" and rows[1][7] == "天窗应避免用木材"


def test_handbook_page_query_count_is_constant(staff_client, entry, project, skylight_tags, django_assert_max_num_queries):
    from defects.models import HandbookEntry

    with django_assert_max_num_queries(20) as small:
        staff_client.get("/defects/handbook/")
    for i in range(19):
        e = HandbookEntry.objects.create(code=f"X{i}", title="t", project=project, grade="A", problem="p", prevention="v",
                                         found_on=date(2026, 1, 1))
        e.tags.set(skylight_tags)
    with django_assert_max_num_queries(len(small.captured_queries)):
        staff_client.get("/defects/handbook/")


def test_prevention_page_ticks_with_evidence(client, entry, skylight_tags):
    new = ProjectFactory(code="SH-NEW", stage="design")
    designer = UserFactory(projects=[new])
    client.force_login(designer)
    client.post(f"/defects/prevention/{new.code}/tags/", {"tags": [skylight_tags[0].pk]})
    item = PreventionChecklistItem.objects.get(project=new)
    client.post(f"/defects/prevention/items/{item.pk}/", {f"i{item.pk}-status": "applied", f"i{item.pk}-evidence": ""})
    item.refresh_from_db()
    assert item.status == "open"
    client.post(f"/defects/prevention/items/{item.pk}/", {f"i{item.pk}-status": "applied", f"i{item.pk}-evidence": "节点图 J-12"})
    item.refresh_from_db()
    assert item.status == "applied"
    assert "节点图 J-12" in client.get(f"/defects/prevention/{new.code}/").content.decode()


def test_prevention_of_another_project_is_404(staff_client, other_project):
    assert staff_client.get(f"/defects/prevention/{other_project.code}/").status_code == 404
    assert staff_client.post(f"/defects/prevention/{other_project.code}/tags/", {}).status_code == 404


def test_project_page_shows_the_defect_panel(staff_client, project, graded, django_assert_max_num_queries):
    graded("A", due_on=date(2026, 6, 1))
    page = staff_client.get(f"/projects/{project.code}/").content.decode()
    assert "defects/?project=SZ-GG" in page


def test_summary_counts_in_two_queries(staff, graded, make_defect, django_assert_num_queries, project):
    from defects.selectors import defect_project_summary

    graded("A", due_on=date(2026, 6, 1))
    make_defect()
    staff._touchstone_project_ids = [project.pk]
    with django_assert_num_queries(2):  # totals and status counts in one grouped scan, prevention
        summary = defect_project_summary(actor=staff, project=project, today=date(2026, 7, 1))
    assert (summary["total"], summary["open"], summary["overdue"]) == (2, 2, 1)
    assert summary["by_status"]["graded"] == 1 and summary["by_status"]["reported"] == 1
    assert summary["by_age"] == [0, 2, 0]


def test_inspection_page_creates_one_defect_per_line(staff_client, project, engineering):
    from tests.factories import UnitFactory

    UnitFactory(building__project=project, number="3-1502")
    response = staff_client.post("/defects/inspection/", {
        "project": project.code, "source": "handover", "found_on": "2026-06-01", "responsible_department": engineering.pk,
        "findings": "3-1502 | 入户门 | 门框变形关闭不严\n | 12栋大堂 | 墙面空鼓",
    })
    assert response.status_code == 302
    assert list(Defect.objects.order_by("code").values_list("code", "title", "location")) == [
        ("SJ01", "门框变形关闭不严", "入户门"), ("SJ02", "墙面空鼓", "12栋大堂")]


def test_inspection_page_refuses_a_bad_line_and_writes_nothing(staff_client, project):
    response = staff_client.post("/defects/inspection/", {
        "project": project.code, "source": "handover", "found_on": "2026-06-01", "findings": "3-1502 | 入户门 | 门框变形\n只有一段",
    })
    assert response.status_code == 200
    assert "findings" in response.context["form"].errors
    assert Defect.objects.count() == 0


def test_inspection_page_for_another_project_is_404(staff_client, other_project):
    response = staff_client.post("/defects/inspection/", {"project": other_project.code, "source": "handover",
                                                          "found_on": "2026-06-01", "findings": " | x | y"})
    assert response.status_code == 404
    assert Defect.objects.count() == 0


def test_prevention_page_query_count_is_constant(client, project, skylight_tags, django_assert_max_num_queries):
    from defects.models import HandbookEntry, ProjectTag

    new = ProjectFactory(code="SH-NEW", stage="design")
    client.force_login(UserFactory(projects=[new]))
    ProjectTag.objects.create(project=new, tag=skylight_tags[0])

    def add(n):
        for i in range(n):
            e = HandbookEntry.objects.create(code=f"Y{HandbookEntry.objects.count()}-{i}", title="t", project=project, grade="A",
                                             problem="p", prevention="v", found_on=date(2026, 1, 1))
            e.tags.set(skylight_tags)
        services.prevention_checklist_refresh(project=new)

    add(2)
    with django_assert_max_num_queries(20) as small:
        client.get(f"/defects/prevention/{new.code}/")
    add(18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(f"/defects/prevention/{new.code}/").content.decode()
    assert page.count("prevention-item status-open") == 20


def test_meeting_list_query_count_is_constant(staff_client, staff, project, eng_head, make_defect, django_assert_max_num_queries):
    from .conftest import FEASIBLE

    def add(n):
        for _ in range(n):
            d = make_defect()
            services.meeting_record(actor=staff, project=project, held_on=date(2026, 5, 10), attendees=[staff, eng_head], minutes="m",
                                    decisions=[services.DecisionInput(defect=d, grade="A", construction_capacity=FEASIBLE,
                                                                      technical_feasibility=FEASIBLE, schedule_feasibility=FEASIBLE)])

    add(2)
    with django_assert_max_num_queries(20) as small:
        staff_client.get("/defects/meetings/")
    add(18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert staff_client.get("/defects/meetings/").status_code == 200
