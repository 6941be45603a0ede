from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from estates.models import Milestone, Role
from estates.workflow import AuthorityExceeded, InvalidTransition
from risk import services
from risk.models import (
    AdverseFactor,
    AdverseFactorType,
    ChecklistTemplate,
    Disclosure,
    Event,
    PromiseChange,
    Review,
    RiskItem,
)
from tests.factories import UserFactory
from tests.risk.factories import answer_all, dept, open_item

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


# --- seeded catalogues -------------------------------------------------------------------------
def test_seeded_factor_catalogue_is_the_seeds_full_list():
    counts = {c: AdverseFactorType.objects.filter(category=c).count() for c, _ in AdverseFactorType.Category.choices}
    assert counts == {"noise": 9, "odour": 6, "pollution": 4, "belief": 3, "planned_change": 6, "taboo": 7}
    assert AdverseFactorType.objects.get(code="landfill").name == "垃圾场"


def test_seeded_templates_have_the_seeds_control_points_and_departments():
    pre_opening = ChecklistTemplate.objects.get(kind="pre_opening", is_current=True)
    assert [i.name for i in pre_opening.items.all()] == [
        "案名、地名审核",
        "销售方式",
        "销售资料",
        "销售道具",
        "销售文件",
        "销售活动",
    ]
    first = pre_opening.items.first()
    assert first.lead_department.code == "customer_relations"
    assert {d.code for d in first.participating_departments.all()} == {"marketing", "legal"}
    assert ChecklistTemplate.objects.get(kind="pre_delivery").items.count() == 4


# --- risk items --------------------------------------------------------------------------------
def test_open_writes_item_event_and_notifies_owner(project, staff, manager):
    item = open_item(project, staff, owner=manager)
    assert item.status == "open"
    assert list(Event.objects.filter(subject="item", subject_id=item.pk).values_list("kind", flat=True)) == ["opened"]
    assert manager.notifications.filter(kind="risk_item_assigned").count() == 1


def test_open_with_deadline_today_is_allowed(project, staff):
    assert open_item(project, staff, deadline=TODAY()).deadline == TODAY()


def test_open_with_deadline_in_the_past_is_refused_and_writes_nothing(project, staff):
    with pytest.raises(ValidationError) as exc:
        open_item(project, staff, deadline=TODAY() - timedelta(days=1))
    assert "deadline" in exc.value.error_dict
    assert RiskItem.objects.count() == 0
    assert Event.objects.count() == 0


@pytest.mark.parametrize("field", ["source", "customer_view", "level"])
def test_open_with_unknown_choice_is_refused(project, staff, field):
    with pytest.raises(ValidationError) as exc:
        open_item(project, staff, **{field: "nonsense"})
    assert field in exc.value.error_dict
    assert RiskItem.objects.count() == 0


def test_open_with_owner_outside_project_is_refused(project, other_project, staff):
    stranger = UserFactory(projects=[other_project])
    with pytest.raises(ValidationError):
        open_item(project, staff, owner=stranger)
    assert RiskItem.objects.count() == 0


def test_open_from_another_app_records_origin(project, staff):
    item = services.risk_item_open(
        project=project,
        title="A级触点:交付钥匙",
        source="management",
        customer_view="delivery",
        level="high",
        owner=None,
        deadline=TODAY(),
        origin="touchpoints",
        actor=staff,
    )
    assert item.origin == "touchpoints"


def test_close_requires_a_closing_note_and_changes_nothing_without(project, staff):
    item = open_item(project, staff)
    with pytest.raises(ValidationError):
        services.risk_item_close(item=item, actor=staff, closing_note="  ")
    item.refresh_from_db()
    assert item.status == "open"
    assert Event.objects.filter(subject="item", kind="closed").count() == 0


def test_close_with_note_then_repeat_is_noop(project, staff):
    item = open_item(project, staff)
    services.risk_item_close(item=item, actor=staff, closing_note="楼书已改版")
    services.risk_item_close(item=item, actor=staff, closing_note="again")
    item.refresh_from_db()
    assert (item.status, item.closing_note) == ("closed", "楼书已改版")
    assert Event.objects.filter(subject="item", kind="closed").count() == 1


def test_reopen_only_closed_items(project, staff):
    item = open_item(project, staff)
    with pytest.raises(InvalidTransition):
        services.risk_item_reopen(item=item, actor=staff, reason="x")
    services.risk_item_close(item=item, actor=staff, closing_note="done")
    item = services.risk_item_reopen(item=item, actor=staff, reason="回访发现未整改")
    assert (item.status, item.closing_note, item.closed_at) == ("in_progress", "", None)


def test_update_records_before_after_and_resets_escalation_on_new_deadline(project, staff):
    item = open_item(project, staff)
    RiskItem.objects.filter(pk=item.pk).update(escalated_at=timezone.now())
    new_deadline = TODAY() + timedelta(days=30)
    item = services.risk_item_update(item=item, actor=staff, deadline=new_deadline, level="medium")
    assert item.escalated_at is None
    ev = Event.objects.get(subject="item", subject_id=item.pk, kind="updated")
    assert ev.before == {"deadline": (TODAY() + timedelta(days=10)).isoformat(), "level": "high"}
    assert ev.after == {"deadline": new_deadline.isoformat(), "level": "medium"}


def test_update_with_past_deadline_is_refused(project, staff):
    item = open_item(project, staff)
    with pytest.raises(ValidationError):
        services.risk_item_update(item=item, actor=staff, deadline=TODAY() - timedelta(days=1))
    item.refresh_from_db()
    assert item.deadline == TODAY() + timedelta(days=10)


# --- adverse factors ---------------------------------------------------------------------------
def landfill(project, staff):
    return services.factor_create(
        project=project,
        factor_type="landfill",
        description="金口垃圾填埋场",
        distance_m=500,
        direction="SE",
        info_source="区环卫局规划公示",
        actor=staff,
    )


def test_unknown_factor_type_is_refused(project, staff):
    with pytest.raises(ValidationError) as exc:
        services.factor_create(
            project=project, factor_type="volcano", description="x", distance_m=5, direction="N", info_source="x", actor=staff
        )
    assert "factor_type" in exc.value.error_dict
    assert AdverseFactor.objects.count() == 0


@pytest.mark.parametrize("distance", [0, -5])
def test_factor_distance_must_be_positive(project, staff, distance):
    with pytest.raises(ValidationError):
        services.factor_create(
            project=project,
            factor_type="landfill",
            description="x",
            distance_m=distance,
            direction="N",
            info_source="x",
            actor=staff,
        )


def test_disclosure_without_evidence_is_refused(project, staff):
    factor = landfill(project, staff)
    with pytest.raises(ValidationError):
        services.factor_disclose(factor=factor, place="sales_materials", evidence="", actor=staff)
    factor.refresh_from_db()
    assert factor.status == "undisclosed"
    assert Disclosure.objects.count() == 0


def test_disclosure_with_evidence_marks_factor_disclosed(project, staff):
    factor = landfill(project, staff)
    services.factor_disclose(factor=factor, place="showroom_board", evidence="公示板照片 IMG_0042", actor=staff)
    services.factor_disclose(factor=factor, place="showroom_board", evidence="公示板照片 IMG_0043", actor=staff)
    factor.refresh_from_db()
    assert factor.status == "disclosed"
    assert Disclosure.objects.get().evidence == "公示板照片 IMG_0043"
    assert Event.objects.filter(subject="factor", kind="status").count() == 1


def test_sales_opening_blocked_until_disclosed(project, staff):
    factor = landfill(project, staff)
    blockers = services.project_sales_opening_blockers(project)
    assert [(b.code, b.labels) for b in blockers] == [("factor_undisclosed", ("垃圾场 500 m",))]
    services.factor_disclose(factor=factor, place="contract_annex", evidence="合同附件三第2页", actor=staff)
    assert services.project_sales_opening_blockers(project) == []


# --- promises ----------------------------------------------------------------------------------
def promise(project, staff, **kw):
    defaults = {
        "source": "brochure",
        "wording": "小区内设恒温泳池",
        "kano": "excitement",
        "due_milestone": Milestone.Kind.HANDOVER,
    }
    defaults.update(kw)
    return services.promise_register(project=project, actor=staff, **defaults)


def test_promise_change_full_path_changes_wording(project, staff):
    p = promise(project, staff)
    change = services.promise_change_propose(promise=p, new_wording="小区内设室外泳池", reason="设备无法按期到货", actor=staff)
    p.refresh_from_db()
    assert p.wording == "小区内设恒温泳池"
    services.promise_change_negotiate(change=change, note="业主代表会议", actor=staff)
    services.promise_change_confirm(
        change=change, confirmation_document="业主书面确认函 2026-01", confirmed_on=TODAY(), actor=staff
    )
    p.refresh_from_db()
    assert (p.wording, p.status) == ("小区内设室外泳池", "changed")


def test_confirm_without_written_confirmation_is_refused(project, staff):
    p = promise(project, staff)
    change = services.promise_change_propose(promise=p, new_wording="无泳池", reason="x", actor=staff)
    services.promise_change_negotiate(change=change, note="n", actor=staff)
    with pytest.raises(ValidationError):
        services.promise_change_confirm(change=change, confirmation_document="", confirmed_on=TODAY(), actor=staff)
    p.refresh_from_db()
    change.refresh_from_db()
    assert (p.wording, p.status, change.status) == ("小区内设恒温泳池", "registered", "negotiating")


def test_confirm_without_negotiation_is_refused(project, staff):
    p = promise(project, staff)
    change = services.promise_change_propose(promise=p, new_wording="无泳池", reason="x", actor=staff)
    with pytest.raises(InvalidTransition):
        services.promise_change_confirm(change=change, confirmation_document="函", confirmed_on=TODAY(), actor=staff)
    p.refresh_from_db()
    assert p.wording == "小区内设恒温泳池"


def test_only_one_change_under_way(project, staff):
    p = promise(project, staff)
    services.promise_change_propose(promise=p, new_wording="a", reason="x", actor=staff)
    with pytest.raises(InvalidTransition):
        services.promise_change_propose(promise=p, new_wording="b", reason="y", actor=staff)
    assert PromiseChange.objects.count() == 1


def test_verify_cannot_set_changed(project, staff):
    p = promise(project, staff)
    with pytest.raises(ValidationError):
        services.promise_verify(promise=p, result="changed", note="x", actor=staff)


# --- reviews and sign-off ----------------------------------------------------------------------
def test_review_has_one_answer_per_item(project, staff):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    assert review.answers.count() == 6


def test_finding_opens_one_risk_item_linked_to_the_answer(project, staff, manager):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer = review.answers.order_by("item__order")[2]
    finding = {
        "source": "external",
        "customer_view": "marketing",
        "level": "high",
        "owner": manager,
        "deadline": TODAY() + timedelta(days=7),
        "measures": "楼书补充周边环境示意",
    }
    services.review_answer(answer=answer, actor=staff, result="finding", evidence="楼书第8页", finding=finding)
    services.review_answer(answer=answer, actor=staff, result="finding", evidence="楼书第8页、第9页", finding=finding)
    item = RiskItem.objects.get()
    assert (item.answer_id, item.review_id, item.origin, item.title) == (answer.pk, review.pk, "review", "销售资料")


def test_finding_with_past_deadline_writes_nothing(project, staff):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer = review.answers.first()
    with pytest.raises(ValidationError):
        services.review_answer(
            answer=answer,
            actor=staff,
            result="finding",
            evidence="e",
            finding={
                "source": "external",
                "customer_view": "marketing",
                "level": "high",
                "deadline": TODAY() - timedelta(days=1),
            },
        )
    answer.refresh_from_db()
    assert answer.result == "pending"
    assert RiskItem.objects.count() == 0


def test_ok_answer_requires_evidence(project, staff):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    with pytest.raises(ValidationError):
        services.review_answer(answer=review.answers.first(), actor=staff, result="ok", evidence="")


def test_sign_off_by_role_without_authority_is_refused(project, staff, manager):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    with pytest.raises(AuthorityExceeded):
        services.review_sign_off(review=review, actor=manager)
    review.refresh_from_db()
    assert review.status == "open"


def test_landfill_factor_blocks_pre_opening_sign_off_until_disclosed(project, staff, gm):
    factor = landfill(project, staff)
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    with pytest.raises(services.SignOffBlocked) as exc:
        services.review_sign_off(review=review, actor=gm)
    assert len(exc.value.reasons) == 1
    assert "垃圾场 500 m" in exc.value.reasons[0]
    review.refresh_from_db()
    assert review.status == "open"
    services.factor_disclose(factor=factor, place="sales_materials", evidence="楼书第12页周边环境图", actor=staff)
    review = services.review_sign_off(review=review, actor=gm, note="同意开盘")
    assert review.status == "signed_off"
    assert review.signed_off_by == gm


def test_open_high_risk_blocks_sign_off(project, staff, gm):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    item = open_item(project, staff, level="high")
    with pytest.raises(services.SignOffBlocked) as exc:
        services.review_sign_off(review=review, actor=gm)
    assert len(exc.value.reasons) == 1
    services.risk_item_close(item=item, actor=staff, closing_note="已整改")
    assert services.review_sign_off(review=review, actor=gm).status == "signed_off"


def test_open_medium_risk_does_not_block_sign_off(project, staff, gm):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    open_item(project, staff, level="medium")
    assert services.review_sign_off(review=review, actor=gm).status == "signed_off"


def test_broken_promise_blocks_pre_delivery_sign_off(project, staff, gm):
    p = promise(project, staff)
    services.promise_verify(promise=p, result="broken", note="泳池未建", actor=staff)
    review = services.review_create(project=project, kind="pre_delivery", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    with pytest.raises(services.SignOffBlocked) as exc:
        services.review_sign_off(review=review, actor=gm)
    assert "小区内设恒温泳池" in exc.value.reasons[0]
    assert Review.objects.get().status == "open"


def test_broken_promise_changed_in_writing_unblocks_pre_delivery_sign_off(project, staff, gm):
    p = promise(project, staff)
    services.promise_verify(promise=p, result="broken", note="泳池未建", actor=staff)
    change = services.promise_change_propose(promise=p, new_wording="泳池改为儿童戏水池并补偿物业费一年", reason="x", actor=staff)
    services.promise_change_negotiate(change=change, note="业主恳谈会", actor=staff)
    services.promise_change_confirm(change=change, confirmation_document="补充协议", confirmed_on=TODAY(), actor=staff)
    review = services.review_create(project=project, kind="pre_delivery", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    assert services.review_sign_off(review=review, actor=gm).status == "signed_off"


def test_promise_due_at_sales_opening_does_not_block_delivery_sign_off(project, staff, gm):
    promise(project, staff, due_milestone=Milestone.Kind.SALES_OPENING)
    review = services.review_create(project=project, kind="pre_delivery", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    assert services.review_sign_off(review=review, actor=gm).status == "signed_off"


def test_unanswered_items_block_sign_off(project, staff, gm):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    with pytest.raises(services.SignOffBlocked) as exc:
        services.review_sign_off(review=review, actor=gm)
    assert exc.value.reasons[0].startswith("6")


def test_signed_off_review_cannot_be_answered(project, staff, gm):
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    answer_all(review, staff)
    services.review_sign_off(review=review, actor=gm)
    with pytest.raises(InvalidTransition):
        services.review_answer(answer=review.answers.first(), actor=staff, result="na", note="x")


# --- templates ---------------------------------------------------------------------------------
def test_staff_may_not_change_templates(project, staff):
    template = ChecklistTemplate.objects.get(kind="pre_opening", is_current=True)
    with pytest.raises(AuthorityExceeded):
        services.checklist_template_new_version(template=template, actor=staff)
    assert ChecklistTemplate.objects.count() == 2


def test_template_in_use_is_frozen_and_new_version_copies_items(project, staff, manager):
    staff = manager
    template = ChecklistTemplate.objects.get(kind="pre_opening", is_current=True)
    services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    item = template.items.first()
    with pytest.raises(InvalidTransition):
        services.checklist_item_update(
            item=item, actor=staff, name="新名称", guidance="", lead_department=dept("legal"), participating_departments=[]
        )
    new = services.checklist_template_new_version(template=template, actor=staff)
    assert (new.version, new.is_current, new.items.count()) == (2, True, 6)
    template.refresh_from_db()
    assert template.is_current is False
    new_item = new.items.first()
    services.checklist_item_update(
        item=new_item,
        actor=staff,
        name="案名审核",
        guidance="商标",
        lead_department=dept("legal"),
        participating_departments=[dept("marketing")],
    )
    assert ChecklistTemplate.objects.get(pk=template.pk).items.first().name == "案名、地名审核"
    review = services.review_create(project=project, kind="pre_opening", scheduled_on=TODAY(), actor=staff)
    assert review.template_id == new.pk


def test_department_head_role_exists_for_escalation():
    assert Role.DEPARTMENT_HEAD == "department_head"
