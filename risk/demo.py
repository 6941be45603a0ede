"""Demo data for risk control, added through the services so that events and notifications are real.

It adds a project next to a landfill (垃圾填埋场, the seed's 武汉四季花城 case) whose factor is not
yet disclosed, so its pre-opening review cannot be signed off; and a pre-delivery review of the
first demo project whose broken promise blocks sign-off.
"""

from __future__ import annotations

from datetime import timedelta

from estates.models import Department, Milestone, Project, Role, User
from risk import services
from risk.models import Answer

LANDFILL_CODE = "WH-SJHC"


def _gm(ctx) -> tuple[User, str]:
    """A general-manager-office user; the password is copied from a demo department head so that it logs in alike."""
    office = Department.objects.get(code="gm_office")
    gm = User.objects.filter(department=office, role=Role.DEPARTMENT_HEAD).first()
    note = ""
    if gm is None:
        like = (ctx.staff.get(Role.DEPARTMENT_HEAD) or ctx.staff.get(Role.CR_MANAGER) or [None])[0]
        gm = User(username="gm", first_name="总经理", role=Role.DEPARTMENT_HEAD, department=office, email="gm@example.com")
        gm.password = like.password if like is not None else ""
        note = f" (same password as {like.username})" if like is not None else ""
        if not gm.password:
            gm.set_unusable_password()
        gm.save()
    return gm, note


def _landfill_project(ctx, staff_all) -> Project:
    # estates has no service for creating a project outside the sales sync; the demo makes one directly.
    project, _ = Project.objects.get_or_create(
        code=LANDFILL_CODE,
        defaults={
            "name": "四季花城(演示)",
            "city": "武汉",
            "company": "武汉公司",
            "stage": "sales",
            "address": "武汉市江夏区金口街",
        },
    )
    today = ctx.today
    for kind, planned, actual in (
        ("land", -720, -720),
        ("design", -600, -560),
        ("construction_start", -480, -400),
        ("sales_opening", 20, None),
        ("topping_out", 200, None),
        ("handover", 540, None),
    ):
        Milestone.objects.get_or_create(
            project=project,
            kind=kind,
            defaults={
                "planned_on": today + timedelta(days=planned),
                "actual_on": None if actual is None else today + timedelta(days=actual),
            },
        )
    for user in staff_all:
        user.projects.add(project)
    return project


def load(ctx) -> str:
    staff_all = [u for users in ctx.staff.values() for u in users]
    cr = (ctx.staff.get(Role.CR_STAFF) or staff_all)[0]
    owner = (ctx.staff.get(Role.PROJECT_MANAGER) or [cr])[0]
    gm, gm_note = _gm(ctx)
    project = _landfill_project(ctx, staff_all)
    gm.projects.add(project, *ctx.projects)
    # Fresh instances: scope checks cache a user's project ids on the instance.
    cr, owner = User.objects.get(pk=cr.pk), User.objects.get(pk=owner.pk)
    today = ctx.today

    # Adverse factors: the landfill is known but not disclosed anywhere yet; the highway is disclosed.
    services.factor_create(
        project=project,
        factor_type="landfill",
        actor=cr,
        distance_m=500,
        direction="SE",
        description="金口垃圾填埋场,占地约600亩;夏季东南风时有异味。政府计划在原址附近建垃圾转运站。",
        info_source="区环卫局规划公示、现场踏勘",
    )
    highway = services.factor_create(
        project=project,
        factor_type="highway",
        actor=cr,
        distance_m=300,
        direction="N",
        description="城市快速路,昼夜车流",
        info_source="现场踏勘",
    )
    services.factor_disclose(factor=highway, place="sales_materials", evidence="楼书第12页周边环境示意图", actor=cr)

    review = services.review_create(
        project=project,
        kind="pre_opening",
        scheduled_on=today,
        actor=cr,
        method="site_check",
        participants="客户关系中心、营销部、项目开发部、法务部",
    )
    for answer in review.answers.select_related("item").order_by("item__order"):
        if answer.item.order == 3:  # sales materials: the surroundings map leaves the landfill out
            services.review_answer(
                answer=answer,
                actor=cr,
                result=Answer.Result.FINDING,
                evidence="楼书周边环境示意图第12页未标注垃圾填埋场",
                finding={
                    "title": "周边环境示意图未标注垃圾填埋场",
                    "source": "external",
                    "customer_view": "marketing",
                    "level": "medium",
                    "owner": owner,
                    "deadline": today + timedelta(days=10),
                    "measures": "楼书改版标注垃圾场;售楼处设公示板;合同附件增加不利因素告知书",
                },
            )
        else:
            services.review_answer(answer=answer, actor=cr, result=Answer.Result.OK, evidence="现场检查记录")

    # A pre-delivery review of the first demo project whose brochure promise is broken.
    delivery = ctx.projects[0]
    pool = services.promise_register(
        project=delivery,
        source="brochure",
        wording="小区会所设恒温泳池",
        kano="excitement",
        due_milestone=Milestone.Kind.HANDOVER,
        actor=cr,
    )
    services.promise_verify(promise=pool, result="broken", note="交付前检查:会所泳池未施工", actor=cr)
    bus = services.promise_register(
        project=delivery,
        source="sales_staff",
        wording="交付时开通小区班车",
        kano="performance",
        due_milestone=Milestone.Kind.HANDOVER,
        actor=cr,
    )
    services.promise_verify(promise=bus, result="kept", note="公交公司合同已签", actor=cr)
    delivery_review = services.review_create(
        project=delivery, kind="pre_delivery", scheduled_on=today, actor=cr, participants="工程部、设计部、销售部、物业公司"
    )
    for answer in delivery_review.answers.select_related("item").order_by("item__order"):
        if answer.item.order == 3:
            services.review_answer(
                answer=answer,
                actor=cr,
                result=Answer.Result.FINDING,
                evidence="会所现场照片",
                finding={
                    "title": "楼书承诺恒温泳池未建",
                    "source": "management",
                    "customer_view": "delivery",
                    "level": "high",
                    "owner": owner,
                    "deadline": today + timedelta(days=14),
                    "measures": "与业主协商变更方案并取得书面确认",
                },
            )
        else:
            services.review_answer(answer=answer, actor=cr, result=Answer.Result.OK, evidence="交付前检查记录")
    for i, (title, level, days) in enumerate((("示范单位与交付标准差异未公示", "medium", 2), ("地下车库坡道过陡", "low", 30))):
        target = ctx.projects[min(i + 1, len(ctx.projects) - 1)]
        item_owner = (
            User.objects.filter(projects=target, role__in=[Role.PROJECT_MANAGER, Role.DEPARTMENT_HEAD])
            .order_by("role", "username")
            .first()
        )
        services.risk_item_open(
            project=target,
            title=title,
            source="product",
            customer_view="comprehensive",
            level=level,
            owner=item_owner,
            deadline=today + timedelta(days=days),
            actor=cr,
            origin="demo",
        )
    return (
        f"landfill project {LANDFILL_CODE} with an undisclosed factor and a pre-opening review; "
        f"pre-delivery review of {delivery.code} blocked by a broken promise; GM user {gm.username}{gm_note}"
    )
