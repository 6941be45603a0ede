"""Seed the departments, the adverse-factor catalogue and version 1 of both checklists (seed 001, 预防篇)."""

from django.db import migrations

DEPARTMENTS = [
    ("customer_relations", "客户关系中心", "Customer-relations centre"),
    ("marketing", "营销部", "Marketing"),
    ("development", "项目开发部", "Project development"),
    ("legal", "法务部", "Legal"),
    ("engineering", "工程部", "Engineering"),
    ("design", "设计部", "Design"),
    ("sales", "销售部", "Sales"),
    ("property", "物业公司", "Property management"),
    ("cost", "成本部", "Cost"),
    ("gm_office", "总经理办公室", "General manager's office"),
]

# 红线外不利因素必须公示项目: the seed's full list, category by category.
FACTOR_TYPES = [
    ("noise", [("airport", "机场", "Airport"), ("railway", "铁路", "Railway"), ("highway", "公路", "Highway"),
               ("overpass", "立交桥", "Overpass"), ("factory", "工厂", "Factory"), ("market", "集市", "Market"),
               ("school", "学校", "School"), ("station", "车站", "Station"), ("freight_yard", "货场", "Freight yard")]),
    ("odour", [("landfill", "垃圾场", "Landfill"), ("sewage", "污水河/塘", "Sewage ditch/pond"),
               ("slaughterhouse", "屠宰场", "Slaughterhouse"), ("tannery", "皮革厂", "Tannery"),
               ("livestock_farm", "养禽/畜场", "Poultry/livestock farm"), ("zoo", "动物园", "Zoo")]),
    ("pollution", [("paper_mill", "造纸厂", "Paper mill"), ("chemical_plant", "化工厂", "Chemical plant"),
                   ("rubber_factory", "橡胶厂", "Rubber factory"), ("scrap_yard", "废品站", "Scrap yard")]),
    ("belief", [("temple", "庙宇", "Temple"), ("church", "教堂", "Church"), ("mosque", "清真寺", "Mosque")]),
    ("planned_change", [("planned_road", "规划中的公路", "Planned road"), ("planned_railway", "规划中的铁路", "Planned railway"),
                        ("planned_viaduct", "规划中的高架桥", "Planned viaduct"),
                        ("planned_green", "规划改变现状的绿地", "Green space that will change"),
                        ("planned_water", "规划改变现状的水面", "Water that will change"),
                        ("planned_woods", "规划改变现状的树林", "Woods that will change")]),
    ("taboo", [("funeral_home", "殡仪馆", "Funeral home"), ("crematorium", "火葬场", "Crematorium"),
               ("cemetery", "公墓", "Cemetery"), ("prison", "监狱/看守所", "Prison/detention centre"),
               ("execution_ground", "刑场", "Execution ground"), ("nuclear_plant", "核电站", "Nuclear plant"),
               ("oil_gas_depot", "油气库/站", "Oil or gas depot/station")]),
]

# (order, name, name_en, guidance, guidance_en, lead, participating)
PRE_OPENING = [
    (1, "案名、地名审核", "Project and place names", "地名查询、商标查询、集团内冲突查询",
     "Place-name search, trademark search, conflicts within the group", "customer_relations", ["marketing", "legal"]),
    (2, "销售方式", "Sales method", "现场布置、流程及组织计划讨论、合法性",
     "Site layout, process and organisation plan, legality", "customer_relations", ["marketing", "legal"]),
    (3, "销售资料", "Sales materials", "广告、楼书、总平面图、周边环境示意图",
     "Advertisements, brochures, site plan, map of the surroundings", "customer_relations", ["marketing", "development", "legal"]),
    (4, "销售道具", "Sales props", "模型、示范单位、其他展示道具",
     "Models, show units, other display props", "customer_relations", ["marketing", "development"]),
    (5, "销售文件", "Sales documents", "认购办法、认购文件、销售办法、合同",
     "Subscription rules, subscription documents, sales rules, contracts", "customer_relations", ["legal", "marketing"]),
    (6, "销售活动", "Sales events", "安全隐患控制、特殊或紧急情况应变计划、客户现场投诉",
     "Safety hazards, contingency plans for special or emergency situations, on-site complaints",
     "customer_relations", ["marketing", "development"]),
]
PRE_DELIVERY = [
    (1, "项目:影响交付的配套与工程质量", "Facilities and quality blocking handover",
     "是否存在涉及影响项目交付的配套、工程质量等问题",
     "Are there facilities or construction-quality problems that would block the handover?",
     "customer_relations", ["engineering", "development"]),
    (2, "设计:易引发投诉或生活不便的设计", "Designs likely to cause complaints or inconvenience",
     "是否存在可能导致客户投诉或引致客户生活不便的设计方案",
     "Are there designs likely to cause complaints or make daily life inconvenient?", "customer_relations", ["design"]),
    (3, "销售:无法兑现或与现状不符的承诺", "Sales promises that cannot be kept or differ from reality",
     "是否存在无法实现的销售承诺或现状与承诺不符合的情况",
     "Are there sales promises that cannot be kept, or where reality differs from the promise?",
     "customer_relations", ["sales", "marketing"]),
    (4, "物业:细部检查中的严重或系统性质量问题", "Serious or systemic quality issues from detailed inspection",
     "细部检查中是否存在严重的、系统性的工程质量问题",
     "Did the detailed inspection find serious or systemic construction-quality problems?",
     "customer_relations", ["property", "engineering"]),
]


def seed(apps, schema_editor):
    Department = apps.get_model("estates", "Department")
    FactorType = apps.get_model("risk", "AdverseFactorType")
    Template = apps.get_model("risk", "ChecklistTemplate")
    Item = apps.get_model("risk", "ChecklistItem")
    depts = {}
    for code, name, name_en in DEPARTMENTS:
        depts[code], _ = Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
    order = 0
    for category, types in FACTOR_TYPES:
        for code, name, name_en in types:
            order += 1
            FactorType.objects.update_or_create(code=code, defaults={"category": category, "name": name, "name_en": name_en,
                                                                     "order": order})
    for kind, name, name_en, rows in (
        ("pre_opening", "开盘前风险预控检查表", "Pre-opening risk checklist", PRE_OPENING),
        ("pre_delivery", "交付前风险预控检查表", "Pre-delivery risk checklist", PRE_DELIVERY),
    ):
        if Template.objects.filter(kind=kind).exists():
            continue
        template = Template.objects.create(kind=kind, version=1, name=name, name_en=name_en, is_current=True,
                                           notes="种子文件《预防篇》")
        for n, iname, iname_en, guidance, guidance_en, lead, participating in rows:
            item = Item.objects.create(template=template, order=n, name=iname, name_en=iname_en, guidance=guidance,
                                       guidance_en=guidance_en, lead_department=depts[lead])
            item.participating_departments.set([depts[c] for c in participating])


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial"), ("estates", "0002_notifications")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
