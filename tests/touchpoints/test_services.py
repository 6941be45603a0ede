from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from touchpoints import services
from touchpoints.models import CustomerContact, FollowUp, PointCheck, SensitivityPoint, Touchpoint, TouchpointEvent

pytestmark = pytest.mark.django_db


def a_point(stage="sales"):
    return SensitivityPoint.objects.filter(touchpoint__stage=stage, grade="A").order_by("code").first()


def b_point(stage="sales"):
    return SensitivityPoint.objects.filter(touchpoint__stage=stage, grade="B").order_by("code").first()


def test_answering_a_point_records_who_and_writes_an_event(project, staff):
    check = services.point_check_record(actor=staff, project=project, point=a_point(), status="met", evidence="现场照片")
    assert (check.status, check.evidence, check.checked_by) == ("met", "现场照片", staff)
    event = TouchpointEvent.objects.get(kind="check_answered")
    assert (event.actor, event.before, event.after) == ("staff_a", {}, {"status": "met", "evidence": "现场照片"})


def test_repeating_the_same_answer_is_a_no_op(project, staff):
    point = a_point()
    services.point_check_record(actor=staff, project=project, point=point, status="met", evidence="ok")
    services.point_check_record(actor=staff, project=project, point=point, status="met", evidence="ok")
    assert PointCheck.objects.count() == 1
    assert TouchpointEvent.objects.filter(kind="check_answered").count() == 1


def test_changing_an_answer_records_before_and_after(project, staff):
    point = b_point()
    services.point_check_record(actor=staff, project=project, point=point, status="met", evidence="ok")
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="不一致")
    last = TouchpointEvent.objects.filter(kind="check_answered").last()
    assert (last.before, last.after) == ({"status": "met", "evidence": "ok"}, {"status": "issue", "evidence": "不一致"})
    assert PointCheck.objects.get().status == "issue"


def test_an_a_point_issue_opens_one_follow_up(project, staff):
    point = a_point()
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="宣传与实际不符")
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="仍未整改")
    follow_up = FollowUp.objects.get()
    assert (follow_up.project, follow_up.status, follow_up.check_record.point) == (project, "open", point)
    assert TouchpointEvent.objects.filter(kind="follow_up_opened").count() == 1


def test_a_b_point_issue_opens_no_follow_up(project, staff):
    services.point_check_record(actor=staff, project=project, point=b_point(), status="issue", evidence="x")
    assert FollowUp.objects.count() == 0


def test_an_issue_after_closing_reopens_the_follow_up(project, staff):
    point = a_point()
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="x")
    services.follow_up_close(actor=staff, follow_up=FollowUp.objects.get())
    services.point_check_record(actor=staff, project=project, point=point, status="met", evidence="整改完成")
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="复发")
    assert list(FollowUp.objects.values_list("status", flat=True)) == ["open"]


def test_closing_a_closed_follow_up_is_a_no_op(project, staff):
    services.point_check_record(actor=staff, project=project, point=a_point(), status="issue", evidence="x")
    follow_up = FollowUp.objects.get()
    services.follow_up_close(actor=staff, follow_up=follow_up)
    services.follow_up_close(actor=staff, follow_up=follow_up)
    assert TouchpointEvent.objects.filter(kind="follow_up_closed").count() == 1


@pytest.mark.parametrize(("status", "evidence", "field"), [("done", "x", "status"), ("met", "  ", "evidence")])
def test_bad_answer_is_refused_and_nothing_is_written(project, staff, status, evidence, field):
    with pytest.raises(ValidationError) as exc:
        services.point_check_record(actor=staff, project=project, point=a_point(), status=status, evidence=evidence)
    assert field in exc.value.message_dict
    assert (PointCheck.objects.count(), TouchpointEvent.objects.count()) == (0, 0)


def test_staff_may_not_edit_the_catalogue(staff):
    point = a_point()
    point.name = "改名"
    with pytest.raises(PermissionDenied):
        services.sensitivity_point_save(actor=staff, point=point)
    assert SensitivityPoint.objects.get(pk=point.pk).name != "改名"


def test_group_centre_edits_a_point_and_an_event_keeps_before_and_after(group_user):
    point = a_point()
    old = point.standard
    point.standard = "新标准"
    services.sensitivity_point_save(actor=group_user, point=point)
    event = TouchpointEvent.objects.get(kind="point_saved")
    assert (event.before["standard"], event.after["standard"]) == (old, "新标准")


def test_unknown_grade_is_refused_and_nothing_is_written(group_user):
    point = a_point()
    point.grade = "D"
    with pytest.raises(ValidationError) as exc:
        services.sensitivity_point_save(actor=group_user, point=point)
    assert "grade" in exc.value.message_dict
    assert SensitivityPoint.objects.get(pk=point.pk).grade == "A"


def test_unknown_stage_is_refused(group_user):
    tp = Touchpoint.objects.first()
    tp.stage = "demolition"
    with pytest.raises(ValidationError):
        services.touchpoint_save(actor=group_user, touchpoint=tp)
    assert TouchpointEvent.objects.count() == 0


def test_contact_is_logged_with_staff_and_event(project, staff, buyer):
    tp = Touchpoint.objects.get(code="DEL-04")
    contact = services.contact_log(
        actor=staff,
        customer=buyer,
        project=project,
        touchpoint=tp,
        channel="phone",
        direction="outbound",
        summary="预约验房",
        sentiment="positive",
    )
    assert (contact.staff, contact.source, contact.touchpoint, contact.channel) == (staff, "staff_a", tp, "phone")
    assert TouchpointEvent.objects.filter(kind="contact_logged", project=project).count() == 1


def test_contact_for_a_customer_without_contract_in_the_project_is_refused(project, staff, other_buyer):
    with pytest.raises(ValidationError) as exc:
        services.contact_log(
            actor=staff, customer=other_buyer, project=project, channel="phone", direction="inbound", summary="x"
        )
    assert list(exc.value.message_dict) == ["customer"]
    assert CustomerContact.objects.count() == 0


def test_contact_in_the_future_is_refused(project, staff, buyer):
    with pytest.raises(ValidationError) as exc:
        services.contact_log(
            actor=staff,
            customer=buyer,
            project=project,
            channel="phone",
            direction="inbound",
            summary="x",
            occurred_at=timezone.now() + timedelta(hours=1),
        )
    assert list(exc.value.message_dict) == ["occurred_at"]
    assert CustomerContact.objects.count() == 0


# --- the risk register ---------------------------------------------------------------------------

def test_an_a_point_issue_opens_a_high_level_risk_item(project, staff):
    from datetime import timedelta

    from risk.models import RiskItem

    point = a_point()
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="楼书未标注仅供参考")
    follow_up = FollowUp.objects.get()
    item = RiskItem.objects.get(pk=follow_up.risk_item_id)
    assert (item.project, item.origin, item.level, item.source, item.customer_view, item.status) == (
        project, "touchpoints", "high", "management", "marketing", "open")
    assert item.deadline == timezone.localdate() + timedelta(days=14)
    assert "楼书未标注仅供参考" in item.description and point.code in item.title


def test_a_repeated_issue_adds_a_note_to_the_same_risk_item(project, staff):
    from risk.models import Event, RiskItem

    point = a_point()
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="第一次")
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="仍未整改")
    item = RiskItem.objects.get()
    notes = list(Event.objects.filter(subject_id=item.pk, kind="follow_up").values_list("detail", flat=True))
    assert notes == ["仍未整改"]


def test_an_issue_after_the_risk_item_was_closed_reopens_it(project, staff):
    from risk import services as risk_services
    from risk.models import RiskItem

    point = a_point()
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="第一次")
    item = RiskItem.objects.get()
    risk_services.risk_item_close(item=item, actor=staff, closing_note="已整改")
    services.point_check_record(actor=staff, project=project, point=point, status="met", evidence="复查达标")
    services.point_check_record(actor=staff, project=project, point=point, status="issue", evidence="再次发现")
    item.refresh_from_db()
    assert (RiskItem.objects.count(), item.status) == (1, "in_progress")


def test_a_b_point_issue_opens_no_risk_item(project, staff):
    from risk.models import RiskItem

    services.point_check_record(actor=staff, project=project, point=b_point(), status="issue", evidence="x")
    assert RiskItem.objects.count() == 0


def test_an_api_client_answer_opens_the_risk_item_under_its_name(project, api_client_key):
    from risk.models import RiskItem

    client, _key = api_client_key
    services.point_check_record(actor=client, project=project, point=a_point(), status="issue", evidence="x")
    assert RiskItem.objects.get().created_by_label == "api:sales-a"
