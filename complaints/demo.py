"""Demo complaints: a few hundred over the last six months, filed and worked through the services
so that due times, events, escalations, clusters and notifications are all real.

The seed's half-year mix sets the categories (construction quality far ahead of planning & design).
When ``time_machine`` (a development dependency) is installed, each step happens at its own moment
in the past; otherwise everything is filed now and only the workflow varies.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from django.utils import timezone

from estates.workflow import InvalidTransition

from . import services
from .escalation import complaints_sweep
from .models import Category, Channel
from .reports import last_week_start, weekly_report_build

# The seed's figures for one half-year (客户投诉数据分析): construction quality dominates.
CATEGORY_WEIGHTS = {
    Category.CONSTRUCTION_QUALITY: 6360,
    Category.PLANNING_DESIGN: 501,
    Category.SALES: 183,
    Category.PROPERTY: 202,
    Category.SERVICE: 71,
    Category.OTHER: 121,
}
CHANNEL_WEIGHTS = {
    Channel.HOTLINE: 40,
    Channel.ONLINE: 25,
    Channel.INFO_SYSTEM: 15,
    Channel.VISIT: 12,
    Channel.LETTER: 5,
    Channel.MEDIA: 3,
}
TITLES = {
    Category.CONSTRUCTION_QUALITY: [
        ("卫生间天花板渗水", "楼上卫生间防水层可能破损，我家卫生间天花板持续滴水，墙面发霉。"),
        ("外墙渗水导致墙纸起泡", "连续下雨后卧室外墙渗水，墙纸大面积起泡脱落。"),
        ("客厅墙面开裂", "交房不到半年，客厅墙面出现多条裂缝，担心结构安全。"),
        ("窗户密封不严漏风", "主卧窗户关闭后仍然漏风，冬天室内温度很低。"),
        ("地板空鼓", "客厅地砖多处空鼓，踩上去有响声。"),
        ("入户门变形关不严", "入户门下沉变形，需要用力才能关上。"),
        ("阳台排水不畅积水", "阳台地漏排水慢，下大雨时积水倒灌进客厅。"),
        ("厨房下水管漏水", "厨房水槽下水管接口漏水，橱柜底板已泡坏。"),
    ],
    Category.PLANNING_DESIGN: [
        ("楼间距过小影响采光", "对面楼栋遮挡严重，冬季客厅几乎没有日照，与销售时说法不符。"),
        ("车位配比不足", "小区车位严重不足，晚上只能停在小区外面。"),
        ("小区绿化与规划不符", "中心花园面积明显小于楼书展示。"),
    ],
    Category.SALES: [
        ("销售承诺的学校未兑现", "购房时置业顾问承诺的配套小学至今没有开工。"),
        ("合同约定交付标准不符", "实际交付的厨房电器品牌与合同附件不一致。"),
    ],
    Category.PROPERTY: [
        ("电梯经常故障", "3号电梯一周内停运两次，老人上下楼非常不便。"),
        ("小区门禁形同虚设", "外来人员随意进出，存在安全隐患。"),
        ("垃圾清运不及时", "地下室垃圾房异味严重，清运不及时。"),
    ],
    Category.SERVICE: [("报修电话无人接听", "多次拨打报修电话无人接听，工作人员态度冷淡。")],
    Category.OTHER: [("周边施工噪音扰民", "小区东侧工地夜间施工，噪音严重影响休息。")],
}
GROUP_TITLE = ("地下车库顶板渗水", "地下车库顶板多处渗水，车辆被污水弄脏，多户业主反映。")


def _travel(moment: datetime):
    try:
        import time_machine
    except ImportError:  # production installs: no travelling, everything happens now
        return contextlib.nullcontext()
    return time_machine.travel(moment, tick=False)


def _working_moment(rng, day) -> datetime:
    hour = rng.choice([9, 10, 10, 11, 14, 15, 16, 17, 19])
    return timezone.make_aware(datetime.combine(day, time(hour, rng.randrange(60))))


def _weighted(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def load(ctx) -> str:
    rng, today = ctx.rng, ctx.today
    real_now = timezone.now()
    staff_by_project = {p.pk: [u for u in ctx.staff.get("cr_staff", []) if p in u.projects.all()] for p in ctx.projects}
    managers = {p.pk: [u for u in ctx.staff.get("cr_manager", []) if p in u.projects.all()] for p in ctx.projects}
    group = (ctx.staff.get("group_centre") or [None])[0]
    contracts_by_project = {}
    for contract in ctx.contracts:
        contracts_by_project.setdefault(contract.project_id, []).append(contract)
    filed = closed = 0
    for project in ctx.projects:
        handlers = staff_by_project[project.pk] or ctx.staff.get("cr_staff", [])
        manager = (managers[project.pk] or ctx.staff.get("cr_manager", []) or [group])[0]
        contracts = contracts_by_project.get(project.pk, [])
        if not contracts:
            continue
        plan = [(rng.randint(0, 180), None) for _ in range(95)]
        # A brewing group complaint: five owners of one building within a fortnight.
        group_building = rng.choice(contracts).unit.building_id
        group_contracts = [k for k in contracts if k.unit.building_id == group_building][:5]
        plan += [(rng.randint(1, 14), k) for k in group_contracts]
        for age_days, fixed_contract in sorted(plan, key=lambda item: -item[0]):
            filed_at = min(_working_moment(rng, today - timedelta(days=age_days)), real_now - timedelta(hours=1))
            contract = fixed_contract or rng.choice(contracts)
            customer = contract.customers.all()[0] if contract.customers.all() else None
            category = Category.CONSTRUCTION_QUALITY if fixed_contract else _weighted(rng, CATEGORY_WEIGHTS)
            title, description = GROUP_TITLE if fixed_contract else rng.choice(TITLES[category])
            handler = rng.choice(handlers)
            with _travel(filed_at):
                complaint = services.complaint_file(
                    actor=handler,
                    project=project,
                    unit=contract.unit,
                    customer=customer,
                    channel=_weighted(rng, CHANNEL_WEIGHTS),
                    category=category,
                    title=title,
                    description=description,
                    complainant_count=rng.choice([1] * 30 + [2, 3, 4, 12]),
                    lawsuit_filed=rng.random() < 0.01,
                    media_exposed=rng.random() < 0.01,
                    legal_or_media_risk=rng.random() < 0.04,
                    needs_outside_help=rng.random() < 0.06,
                    motive=rng.choice(["", "", "respect", "compensation", "venting", "mixed"]),
                )
            filed += 1
            try:
                closed += _work(rng, complaint, handler=handler, manager=manager, group=group, filed_at=filed_at, now=real_now)
            except InvalidTransition:
                pass  # e.g. beyond the handler's authority: the complaint went up the ladder instead
    sweep = complaints_sweep()
    weekly_report_build(week_start=last_week_start(today))
    return f"{filed} complaints ({closed} closed), {sweep.escalations} escalations from the sweep, last week's report"


def _work(rng, complaint, *, handler, manager, group, filed_at, now) -> int:
    """Carry a complaint as far as its age suggests (never past ``now``); returns 1 when it ends closed."""
    age_days = (now - filed_at).days
    moment = filed_at + timedelta(hours=rng.choice([1, 2, 3, 5, 20, 30]))
    if moment >= now or (age_days < 1 and rng.random() < 0.6):
        return 0  # just received
    with _travel(moment):
        services.complaint_respond(complaint=complaint, actor=handler, message="您好，您反映的问题已收到，我们已安排专人跟进。")
    if age_days < 3 or rng.random() < 0.08:
        if rng.random() < 0.3:
            with _travel(moment + timedelta(hours=2)):
                services.complaint_hold(complaint=complaint, actor=handler, reason="等待业主约定上门时间")
        return 0
    if rng.random() < 0.1:
        with _travel(moment + timedelta(hours=3)):
            services.complaint_hold(complaint=complaint, actor=handler, reason="等待第三方检测报告")
        moment += timedelta(days=rng.randint(1, 2))
        with _travel(moment):
            services.complaint_resume(complaint=complaint, actor=handler)
    moment += timedelta(days=rng.choice([1, 2, 3, 4, 6, 9]))
    if moment + timedelta(days=3) >= now:
        return 0
    complaint.refresh_from_db()
    closer = handler if complaint.severity <= 1 else (manager if complaint.severity <= 2 else group)
    with _travel(moment):
        services.complaint_resolve(
            complaint=complaint,
            actor=closer,
            resolution="已安排维修并经业主确认完成。",
            compensation=rng.choice([0, 0, 0, 500, 1500]),
        )
    if rng.random() < 0.1:
        return 0  # waiting for the follow-up call
    moment += timedelta(days=1)
    with _travel(moment):
        satisfied = rng.random() < 0.82
        services.complaint_revisit(
            complaint=complaint,
            actor=handler,
            satisfied=satisfied,
            score=rng.choice([4, 5]) if satisfied else rng.choice([1, 2, 3]),
            note="回访业主，确认处理结果。",
        )
        if complaint.severity == 3:
            services.case_write(
                complaint=complaint,
                actor=closer,
                title=f"{complaint.title}案例",
                background=complaint.description,
                causes="施工工艺控制不严，隐蔽工程验收不到位。",
                handling="第一时间道歉，成立专项小组，逐户维修并回访。",
                lessons="关键节点加强验收；重大投诉当日上报；统一对外口径。",
            )
        services.complaint_close(complaint=complaint, actor=closer)
    if rng.random() < 0.03 and moment + timedelta(days=2) < now:
        with _travel(moment + timedelta(days=2)):
            services.complaint_reopen(complaint=complaint, actor=handler, reason="业主反映问题再次出现。")
        return 0
    return 1
