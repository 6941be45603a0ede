"""Demo data: segments for every demo customer, two overrides, and the Tianjin parcel."""

from crm_site.demo_context import DemoContext

from . import selectors, services
from .fixtures.seed import TIANJIN_PARCEL


def load(ctx: DemoContext) -> str:
    result = services.customer_segments_recompute(customer_ids=[c.pk for c in ctx.customers])
    manager = (ctx.staff.get("cr_manager") or ctx.staff.get("group_centre"))[0]
    affluent = selectors.segment_get(code="affluent")
    for customer in ctx.customers[:2]:
        services.customer_segment_override(
            actor=manager, customer=customer, segment=affluent, reason="客户经营企业,实际收入高于登记收入段(置业顾问回访确认)。"
        )
    parcel = services.parcel_assess(
        actor=manager,
        project=ctx.projects[0],
        name="天津河西区候选地块",
        location="天津市河西区,新兴商务区旁",
        attribute_codes=TIANJIN_PARCEL,
        note="种子文件案例:天津社会新锐土地属性需求清单。",
    )
    return f"segments: {result.changed} customers assigned, 2 overrides, parcel best fit {parcel.best_segment.name}"
