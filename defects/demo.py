"""Demo records for defect feedback, made through the services so timelines and notifications are real.

The post-delivery project gets the seed's SJ01 (closed on the A path) and defects at every other
step; the project under construction tags itself and gets the lessons as its prevention checklist.
"""

from datetime import timedelta
from decimal import Decimal

from estates.models import Department, Role

from . import services
from .models import Defect, MeetingDecision, PreventionChecklistItem, Tag

TAGS = [
    ("element", "天窗", "Skylight"), ("element", "外墙", "External wall"), ("element", "地下室", "Basement"),
    ("element", "门窗", "Doors and windows"), ("element", "屋面", "Roof"),
    ("trade", "防水", "Waterproofing"), ("trade", "涂料", "Coatings"), ("trade", "电气", "Electrical"),
    ("material", "木材", "Timber"), ("material", "铝合金", "Aluminium"), ("material", "外墙涂料", "Exterior paint"),
    ("unit_type", "TA户型", "TA unit"), ("unit_type", "叠拼", "Stacked villa"), ("unit_type", "高层", "High-rise"),
]
F = MeetingDecision.Feasibility


def _user(ctx, role, project, department=None):
    for user in ctx.staff.get(role, []):
        if (user.sees_all_projects or user.projects.filter(pk=project.pk).exists()) and (
            department is None or user.department_id == department.pk
        ):
            return user
    return None


def load(ctx) -> str:
    tags = {name: Tag.objects.get_or_create(kind=kind, name=name, defaults={"name_en": en})[0] for kind, name, en in TAGS}
    projects = {p.stage: p for p in ctx.projects}
    site = projects.get("post_delivery") or ctx.projects[0]
    building = projects.get("construction") or ctx.projects[-1]
    depts = {d.code: d for d in Department.objects.all()}
    eng, design = depts["engineering"], depts["design"]
    cs = _user(ctx, Role.CR_STAFF, site)
    pm = _user(ctx, Role.PROJECT_MANAGER, site)
    heads = [_user(ctx, Role.DEPARTMENT_HEAD, site, eng), _user(ctx, Role.DEPARTMENT_HEAD, site, design)]
    today = ctx.today

    def report(title, description, *, source, days_ago, dept=eng, tag_names=(), **extra):
        return services.defect_create(
            actor=cs, project=site, title=title, description=description, source=source, found_on=today - timedelta(days=days_ago),
            responsible_department=dept, owner=pm, tags=[tags[t] for t in tag_names], **extra,
        )

    sj01 = report(
        "TA户型屋面天窗渗水", "TA户型屋面天窗上盖进水；天窗低框与反槛不密实；门框倒置安装。", source=Defect.Source.WARRANTY,
        days_ago=120, unit_types="TA户型", households_affected=56, location="屋面天窗", complaint_risk=True,
        cause_analysis="天窗盖与框不密实；门扇与门框密封不严；天窗反槛与斜面结构板不密实；门框倒置安装。",
        tag_names=("天窗", "木材", "防水", "TA户型"),
    )
    sj02 = report(
        "外墙涂料大面积开裂脱落", "3、5、7栋南立面外墙涂料开裂起皮，雨后有渗水痕迹。", source=Defect.Source.PATROL, days_ago=90,
        unit_types="高层", households_affected=210, location="南立面外墙", dept=design,
        cause_analysis="基层腻子未干透即施工面层；涂料耐候等级不足。", tag_names=("外墙", "涂料", "外墙涂料"),
    )
    sj03 = report(
        "地下车库顶板渗水", "B1层车库3号坡道附近顶板渗水，雨天滴水。", source=Defect.Source.COMPLAINT, days_ago=60,
        households_affected=0, location="地下车库B1", complaint_risk=True, tag_names=("地下室", "防水"),
    )
    sj04 = report(
        "入户门框变形关闭不严", "交付查验中多户入户门关闭不严。", source=Defect.Source.HANDOVER, days_ago=40,
        unit_types="叠拼", households_affected=12, location="入户门", tag_names=("门窗",),
    )
    graded = [(sj01, "A", F.FEASIBLE), (sj02, "B", F.LIMITED), (sj03, "A", F.FEASIBLE), (sj04, "A", F.FEASIBLE)]
    services.meeting_record(
        actor=cs, project=site, held_on=today - timedelta(days=35), attendees=[u for u in [cs, pm, *heads] if u],
        minutes="缺陷评审会议：工程、设计负责人出席。天窗渗水、车库渗水、门框变形定为A级限期整改；外墙涂料开裂定为B级，报总经理办公室。",
        decisions=[
            services.DecisionInput(defect=d, grade=g, construction_capacity=F.FEASIBLE, technical_feasibility=tech,
                                   schedule_feasibility=F.FEASIBLE, main_problems=d.cause_analysis,
                                   due_on=today - timedelta(days=10) if d is sj03 else today + timedelta(days=20))
            for d, g, tech in graded
        ],
    )
    # SJ01: the whole A path, with one rejected verification on the way.
    services.defect_draft_measures(
        defect=sj01, actor=pm, measures="拆除木质天窗，更换为铝合金天窗；重做反槛节点并闭水试验；门框按正确方向重装。",
        prevention="1、天窗应避免用木材；节点构造应按工程标准设计。2、室外有功能性要求的空间部品尽量避免用天然木材，特殊需要报总审批。",
    )
    services.defect_complete_rectification(defect=sj01, actor=pm)
    services.defect_accept(defect=sj01, actor=pm)
    services.defect_reject_verification(defect=sj01, actor=cs, reason="雨后复查：2户天窗反槛仍有渗水痕迹")
    services.defect_complete_rectification(defect=sj01, actor=pm, note="反槛重做，闭水试验48小时无渗漏")
    services.defect_accept(defect=sj01, actor=pm)
    services.defect_verify(defect=sj01, actor=cs)
    services.defect_record_cost(defect=sj01, actor=cs, cost=Decimal("280000"))
    # SJ02: the B path.
    services.defect_draft_measures(defect=sj02, actor=pm, measures="分批铲除重做，选用弹性耐候涂料。",
                                   prevention="外墙涂料选用弹性耐候产品；基层含水率检测合格后方可施工面层。")
    services.defect_report_to_gm(defect=sj02, actor=pm, note="已报总经理办公室")
    # SJ03: rectifying and overdue — the daily chase reminds the owner and escalates.
    services.defect_draft_measures(defect=sj03, actor=pm, measures="顶板注浆堵漏，坡道增设截水沟。",
                                   prevention="地下室顶板防水做法按工程标准；坡道口设截水沟。")
    for days in (1, 3):
        services.defect_chase(defect_id=sj03.pk, today=today - timedelta(days=10) + timedelta(days=days))
    # SJ04: rectified, awaiting the department's acceptance.
    services.defect_draft_measures(defect=sj04, actor=pm, measures="更换变形门框。", prevention="门框进场验收增加平整度检查。")
    services.defect_complete_rectification(defect=sj04, actor=pm)
    # Fresh findings of a mock inspection, waiting for the next review.
    services.defects_create_from_inspection(actor=cs, project=site, source=Defect.Source.MOCK_INSPECTION, found_on=today - timedelta(days=3),
                                            rows=[{"title": "卫生间地漏返味", "description": "多户卫生间地漏无存水弯", "responsible_department": eng},
                                                  {"title": "阳台栏杆松动", "description": "12栋阳台栏杆固定螺栓松动", "responsible_department": eng}])
    # A defect the complaints revealed (the complaints demo ran before this one).
    from complaints.selectors import complaint_list

    complaint = complaint_list(actor=cs).filter(project=site, category="construction_quality").order_by("created_at").first()
    if complaint is not None:
        services.defect_create_from_complaint(actor=cs, complaint=complaint, responsible_department=eng, owner=pm,
                                              due_on=today + timedelta(days=30), households_affected=1)
    # Prevention: the project under construction says what it is built of and gets the lessons.
    services.project_tags_set(project=building, actor=cs, tags=[tags["天窗"], tags["木材"], tags["外墙"], tags["防水"]])
    item = PreventionChecklistItem.objects.filter(project=building, entry__defect=sj01).first()
    if item is not None:
        services.prevention_item_tick(item=item, actor=heads[1] or cs, status="applied", evidence="天窗节点图 A-301：铝合金天窗，无木构件")
    return (f"{Defect.objects.count()} defects, 1 meeting, {site.handbook_entries.count()} handbook entries, "
            f"{PreventionChecklistItem.objects.filter(project=building).count()} prevention items")
