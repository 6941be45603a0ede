"""Demo data: some answered checks per project (with an A-point issue or two) and contacts."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from crm_site.demo_context import DemoContext

from . import selectors, services
from .models import CustomerContact, PointCheck

SUMMARIES = [
    ("phone", "outbound", "positive", "交付前电话告知验房流程,客户表示满意。"),
    ("wechat", "inbound", "neutral", "客户咨询车位销售时间,已告知预计开售节点。"),
    ("visit", "inbound", "negative", "客户到访反映楼下水泵房噪声,已登记并转工程部。"),
    ("open_day", "outbound", "positive", "工地开放日参观,客户对施工质量印象好。"),
    ("email", "outbound", "neutral", "发送交付资料清单及办理时间安排。"),
    ("event", "outbound", "positive", "参加社区亲子活动,客户建议增加儿童游乐设施。"),
]


def load(ctx: DemoContext) -> str:
    staff = (ctx.staff.get("cr_staff") or ctx.staff.get("group_centre"))[0]
    checks = contacts = 0
    for project in ctx.projects:
        points = selectors.project_checklist(project=project, stage=project.stage)
        for i, point in enumerate(points):
            if i % 4 == 3:
                continue  # leave some unchecked, as in real life
            status = (
                PointCheck.Status.ISSUE
                if i in (2, 9)
                else (PointCheck.Status.NOT_APPLICABLE if i % 7 == 6 else PointCheck.Status.MET)
            )
            evidence = {
                PointCheck.Status.MET: "现场核查并拍照存档,资料见项目共享盘。",
                PointCheck.Status.ISSUE: "核查发现未达标,已通知责任部门整改。",
                PointCheck.Status.NOT_APPLICABLE: "本项目无此类设施。",
            }[status]
            services.point_check_record(actor=staff, project=project, point=point, status=status, evidence=evidence)
            checks += 1
    touchpoints = list(selectors.touchpoint_catalogue(stage="delivery")) + list(selectors.touchpoint_catalogue(stage="sales"))
    for n, contract in enumerate(ctx.contracts[:120]):
        customer = contract.customers.first()
        if customer is None:
            continue
        for k in range(1 + n % 3):
            channel, direction, sentiment, summary = SUMMARIES[(n + k) % len(SUMMARIES)]
            day = ctx.today - timedelta(days=ctx.rng.randint(1, 300))
            occurred = timezone.make_aware(datetime.combine(day, time(9 + ctx.rng.randint(0, 8), ctx.rng.randint(0, 59))))
            services.contact_log(
                actor=staff,
                customer=customer,
                project=contract.project,
                touchpoint=touchpoints[(n + k) % len(touchpoints)],
                channel=channel,
                direction=direction,
                sentiment=sentiment,
                summary=summary,
                occurred_at=occurred,
            )
            contacts += 1
    return f"touchpoints: {checks} checks answered, {contacts} contacts ({CustomerContact.objects.count()} in all)"
