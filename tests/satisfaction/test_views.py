from datetime import timedelta
from io import BytesIO

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from estates.models import Role
from satisfaction import services
from satisfaction.models import FollowUp, Invitation, Response, Wave
from satisfaction.tokens import SALT, make_token
from tests.factories import UserFactory

from .conftest import answers_all, handover_for, make_contract


def survey_url(invitation, name="satisfaction:survey"):
    return reverse(name, args=[services.token_for(invitation)])


def post_data(**answers):
    data = {}
    for key, value in answers.items():
        data[f"q_{key}"] = value
    return data


# --- the owner's page ---------------------------------------------------------------------------


def test_survey_page_renders_in_chinese_without_login(client, invitation):
    response = client.get(survey_url(invitation))
    body = response.content.decode()
    assert response.status_code == 200
    assert "总体而言,您对我们的房子和服务满意吗?" in body
    assert 'name="viewport"' in body
    assert "style=" not in body
    assert "<script" not in body


def test_submitting_the_survey_stores_it_and_thanks(client, invitation):
    response = client.post(survey_url(invitation), post_data(**answers_all(issues=["leak", "noise"])))
    assert response.status_code == 302
    assert response["Location"].startswith("/satisfaction/s/")
    assert response["Location"].endswith("/thanks/")
    stored = Response.objects.get()
    assert stored.overall == 5
    assert stored.answers.get(question__key="issues").value_choices == ["leak", "noise"]


def test_second_submit_shows_thanks_and_overwrites_nothing(client, invitation):
    client.post(survey_url(invitation), post_data(**answers_all(overall=5)))
    again = client.post(survey_url(invitation), post_data(**answers_all(overall=1)))
    assert again.status_code == 302
    assert again["Location"].endswith("/thanks/")
    assert Response.objects.get().overall == 5
    assert FollowUp.objects.count() == 0


def test_missing_required_answer_shows_the_error_and_keeps_the_other_answers(client, invitation):
    data = post_data(**answers_all())
    del data["q_design"]
    response = client.post(survey_url(invitation), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "这个问题需要回答。" in body
    assert 'value="leak" checked' in body
    assert Response.objects.count() == 0


def test_out_of_range_answer_is_refused(client, invitation):
    response = client.post(survey_url(invitation), post_data(**answers_all(overall="9")))
    assert response.status_code == 400
    assert Response.objects.count() == 0


def test_tampered_token_is_not_found(client, invitation):
    token = services.token_for(invitation)
    forged = signing.dumps({"i": invitation.pk + 1, "c": invitation.closes_on.isoformat()}, salt="other")
    assert client.get(reverse("satisfaction:survey", args=[token[:-2] + "xx"])).status_code == 404
    assert client.get(reverse("satisfaction:survey", args=[forged])).status_code == 404
    assert client.post(reverse("satisfaction:survey", args=[forged]), post_data(**answers_all())).status_code == 404
    assert Response.objects.count() == 0


def test_token_with_a_changed_closing_day_is_not_found(client, invitation):
    token = make_token(invitation_id=invitation.pk, closes_on=invitation.closes_on + timedelta(days=30))
    assert client.get(reverse("satisfaction:survey", args=[token])).status_code == 404


def test_expired_token_is_gone(client, invitation, time_machine):
    url = survey_url(invitation)
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)
    response = client.post(url, post_data(**answers_all()))
    assert response.status_code == 410
    assert "本次调查已结束" in response.content.decode()
    assert Response.objects.count() == 0


def test_opt_out_link(client, invitation):
    url = survey_url(invitation, "satisfaction:survey-opt-out")
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200
    invitation.refresh_from_db()
    invitation.customer.refresh_from_db()
    assert (invitation.status, invitation.customer.opted_out) == ("opted_out", True)
    assert client.get(survey_url(invitation)).status_code == 410


def test_salt_is_the_apps_own():
    assert SALT == "satisfaction.invitation"


# --- staff pages --------------------------------------------------------------------------------


def test_results_page_shows_scores(staff_client, invitation):
    services.response_submit(invitation=invitation, answers=answers_all(overall=4, recommend=10))
    response = staff_client.get(reverse("satisfaction:index"))
    assert response.status_code == 200
    rows = {r.label: r for r in response.context["rows"]}
    row = rows[invitation.wave.name]
    assert (row.responses, row.sent, row.response_rate, row.satisfaction_index, row.recommend_score) == (1, 1, 1.0, 75.0, 100.0)
    assert b'id="sat-chart-data"' in response.content


@pytest.mark.parametrize("group_by", ["project", "wave", "dimension", "period", "segment"])
def test_results_page_groupings(staff_client, invitation, group_by):
    services.response_submit(invitation=invitation, answers=answers_all())
    assert staff_client.get(reverse("satisfaction:index"), {"group_by": group_by}).status_code == 200


def test_results_are_scoped_to_the_staff_projects(client, invitation, cr_staff_other):
    services.response_submit(invitation=invitation, answers=answers_all())
    client.force_login(cr_staff_other)
    response = client.get(reverse("satisfaction:index"))
    assert response.context["headline"].responses == 0


def test_invitation_list_runs_a_constant_number_of_queries(staff_client, project, django_assert_max_num_queries):
    for _ in range(2):
        make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    with django_assert_max_num_queries(12) as small:
        staff_client.get(reverse("satisfaction:invitation-list"))
    for _ in range(20):
        make_contract(project, handover_on=handover_for("handover-3m", timezone.localdate()))
    services.daily_run()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = staff_client.get(reverse("satisfaction:invitation-list"))
    assert len(response.context["page"]) == 22


def test_invitation_list_masks_phones_for_project_managers(client, invitation, project_manager):
    client.force_login(project_manager)
    body = client.get(reverse("satisfaction:invitation-list")).content.decode()
    assert invitation.customer.phone not in body
    assert invitation.customer.phone[:3] + "****" in body


def test_invitation_detail_of_another_project_is_404(client, invitation, cr_staff_other):
    client.force_login(cr_staff_other)
    assert client.get(reverse("satisfaction:invitation-detail", args=[invitation.pk])).status_code == 404


def test_invitation_detail_shows_the_timeline(staff_client, invitation):
    response = staff_client.get(reverse("satisfaction:invitation-detail", args=[invitation.pk]))
    assert [e.kind for e in response.context["events"]] == ["created", "sent"]


def test_follow_up_page_closes_the_loop(staff_client, invitation):
    services.response_submit(invitation=invitation, answers=answers_all(overall=1))
    fu = FollowUp.objects.get()
    url = reverse("satisfaction:follow-up-detail", args=[fu.pk])
    assert staff_client.get(reverse("satisfaction:follow-up-list")).status_code == 200
    assert staff_client.post(url, {"status": "closed", "note": "已上门"}).status_code == 302
    fu.refresh_from_db()
    assert (fu.status, fu.note) == ("closed", "已上门")


def test_follow_up_of_another_project_is_404(client, invitation, cr_staff_other):
    services.response_submit(invitation=invitation, answers=answers_all(overall=1))
    client.force_login(cr_staff_other)
    assert client.get(reverse("satisfaction:follow-up-detail", args=[FollowUp.objects.get().pk])).status_code == 404


def test_manager_edits_a_wave(client, manager):
    wave = Wave.objects.get(code="handover-3m")
    client.force_login(manager)
    data = {
        f: getattr(wave, f)
        for f in (
            "name",
            "name_en",
            "trigger",
            "offset_months",
            "offset_days",
            "window_days",
            "channel",
            "reminder_interval_days",
            "reminder_max",
            "cooldown_days",
            "low_score_threshold",
            "order",
        )
    }
    data |= {"template": wave.template_id, "is_active": "on", "reminder_max": 3}
    assert client.post(reverse("satisfaction:wave-edit", args=[wave.pk]), data).status_code == 302
    wave.refresh_from_db()
    assert wave.reminder_max == 3


def test_negative_offset_in_the_wave_form_is_an_error(client, manager):
    wave = Wave.objects.get(code="handover-3m")
    client.force_login(manager)
    data = {
        "name": wave.name,
        "template": wave.template_id,
        "trigger": "handover",
        "offset_months": 3,
        "offset_days": -1,
        "window_days": 30,
        "channel": "email",
        "reminder_interval_days": 7,
        "reminder_max": 2,
        "cooldown_days": 60,
        "low_score_threshold": 2,
        "order": 0,
    }
    response = client.post(reverse("satisfaction:wave-edit", args=[wave.pk]), data)
    assert response.status_code == 400
    assert "offset_days" in response.context["form"].errors
    wave.refresh_from_db()
    assert wave.offset_days == 0


def test_staff_cannot_edit_waves(staff_client):
    wave = Wave.objects.get(code="handover-3m")
    assert staff_client.get(reverse("satisfaction:wave-edit", args=[wave.pk])).status_code == 403


def test_manager_publishes_a_new_template_version(client, manager):
    wave = Wave.objects.get(code="handover-3m")
    client.force_login(manager)
    response = client.post(
        reverse("satisfaction:template-detail", args=[wave.template_id]),
        {"key": "overall", "text": "您对我们总体满意吗?", "text_en": "", "required": "on"},
    )
    assert response.status_code == 302
    wave.refresh_from_db()
    assert wave.template.version == 2
    assert wave.template.questions.get(key="overall").text == "您对我们总体满意吗?"


@pytest.mark.parametrize(
    "name",
    [
        "satisfaction:wave-list",
        "satisfaction:template-list",
        "satisfaction:run-list",
        "satisfaction:follow-up-list",
        "satisfaction:invitation-list",
    ],
)
def test_staff_pages_render(staff_client, invitation, name):
    assert staff_client.get(reverse(name)).status_code == 200


def test_pages_need_login(client, db):
    assert client.get(reverse("satisfaction:index")).status_code == 302


def test_export_masks_phones_by_role(client, invitation, project_manager, manager):
    from openpyxl import load_workbook

    services.response_submit(invitation=invitation, answers=answers_all())
    phone = invitation.customer.phone

    def export(user):
        client.force_login(user)
        response = client.get(reverse("satisfaction:export"))
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content)).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    rows = export(project_manager)
    assert len(rows) == 2
    assert rows[1][4] == phone[:3] + "****" + phone[-4:]
    assert export(manager)[1][4] == phone


def test_export_is_scoped(client, invitation, cr_staff_other):
    services.response_submit(invitation=invitation, answers=answers_all())
    client.force_login(cr_staff_other)
    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(client.get(reverse("satisfaction:export")).content)).active
    assert sheet.max_row == 1


def test_project_page_shows_the_satisfaction_panel(staff_client, invitation):
    services.response_submit(invitation=invitation, answers=answers_all(overall=4))
    body = staff_client.get(reverse("estates:project-detail", args=[invitation.project.code])).content.decode()
    assert "75.0" in body


def test_group_user_sees_every_project(client, invitation, db):
    services.response_submit(invitation=invitation, answers=answers_all())
    client.force_login(UserFactory(username="g2", role=Role.GROUP_CENTRE))
    assert client.get(reverse("satisfaction:index")).context["headline"].responses == 1


def test_invitation_status_counts(staff_client, invitation):
    assert staff_client.get(reverse("satisfaction:index")).context["status_counts"] == {Invitation.Status.SENT: 1}


def test_run_page_shows_progress_of_a_running_run(staff_client, db):
    from satisfaction.models import Run

    Run.objects.create(run_on=timezone.localdate(), phase="send", candidates=100000, created=100000, sent=42000, batches=71)
    body = staff_client.get(reverse("satisfaction:run-list")).content.decode()
    assert "<progress" in body
    assert "42000" in body


def test_manager_queues_a_run(client, manager, django_capture_on_commit_callbacks, monkeypatch):
    from satisfaction import tasks

    queued = []
    monkeypatch.setattr(tasks.satisfaction_daily_run, "delay", lambda: queued.append(True))
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("satisfaction:run-start")).status_code == 302
    assert queued == [True]


def test_staff_cannot_queue_a_run(staff_client):
    assert staff_client.post(reverse("satisfaction:run-start")).status_code == 403
