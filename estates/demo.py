"""The portfolio part of the demo: 3 projects, buildings, units, ~1,000 customers, staff of every role."""

import secrets
from datetime import date, timedelta
from decimal import Decimal

from .models import Building, Contract, Customer, Department, Milestone, Project, Role, Unit, User
from .validators import id_number_check_char

DEMO_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

DEPARTMENTS = [
    ("customer_relations", "客户关系中心", "Customer-relations centre"),
    ("engineering", "工程管理部", "Engineering"),
    ("design", "设计管理部", "Design"),
    ("marketing", "营销管理部", "Marketing"),
    ("sales", "销售部", "Sales"),
    ("property", "物业服务中心", "Property management"),
    ("cost", "成本管理部", "Cost control"),
    ("legal", "法务部", "Legal"),
    ("development", "项目开发部", "Project development"),
    ("gm_office", "总经理办公室", "General manager's office"),
]

PROJECTS = [
    # code, name, city, company, stage, years ago land bought
    ("SZ-GG", "深圳光谷花园", "深圳", "深圳城市公司", "post_delivery", 5),
    ("TJ-HX", "天津海心湾", "天津", "天津城市公司", "sales", 3),
    ("CD-JL", "成都锦澜府", "成都", "成都城市公司", "construction", 2),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕文博子涵雨萱浩然欣怡梓轩思远嘉怡俊杰晨曦宇航雅婷"

STAFF = [
    ("admin", Role.ADMIN, "系统", "管理员", None, None),
    ("group", Role.GROUP_CENTRE, "集团", "客关中心", "customer_relations", None),
    ("manager_sz", Role.CR_MANAGER, "陈", "经理", "customer_relations", ["SZ-GG"]),
    ("staff_sz", Role.CR_STAFF, "李", "客服", "customer_relations", ["SZ-GG"]),
    ("staff_tj", Role.CR_STAFF, "王", "客服", "customer_relations", ["TJ-HX"]),
    ("manager_tj", Role.CR_MANAGER, "周", "经理", "customer_relations", ["TJ-HX", "CD-JL"]),
    ("staff_cd", Role.CR_STAFF, "刘", "客服", "customer_relations", ["CD-JL"]),
    ("pm_sz", Role.PROJECT_MANAGER, "赵", "项目经理", "development", ["SZ-GG"]),
    ("pm_tj", Role.PROJECT_MANAGER, "孙", "项目经理", "development", ["TJ-HX"]),
    ("head_eng", Role.DEPARTMENT_HEAD, "吴", "工程总", "engineering", ["SZ-GG", "TJ-HX", "CD-JL"]),
    ("head_design", Role.DEPARTMENT_HEAD, "郑", "设计总", "design", ["SZ-GG", "TJ-HX", "CD-JL"]),
    ("head_sales", Role.DEPARTMENT_HEAD, "冯", "营销总", "marketing", ["SZ-GG", "TJ-HX", "CD-JL"]),
    ("head_property", Role.DEPARTMENT_HEAD, "何", "物业总", "property", ["SZ-GG"]),
    ("head_cost", Role.DEPARTMENT_HEAD, "许", "成本总", "cost", ["SZ-GG", "TJ-HX", "CD-JL"]),
    ("gm", Role.DEPARTMENT_HEAD, "钱", "总经理", "gm_office", ["SZ-GG", "TJ-HX", "CD-JL"]),
]


def _id_number(rng, birth_year: int) -> str:
    first17 = f"{rng.choice(['440305', '120101', '510104', '110105'])}{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(100, 999)}"
    return first17 + id_number_check_char(first17)


def _milestones(project: Project, land: date, stage: str, today: date) -> list[Milestone]:
    offsets = {"land": 0, "design": 150, "construction_start": 300, "sales_opening": 420, "topping_out": 760, "handover": 1100}
    reached_until = {"construction": "construction_start", "sales": "sales_opening", "delivery": "topping_out",
                     "post_delivery": "handover", "residence": "handover"}.get(stage, "design")
    rows, reached = [], True
    for kind, days in offsets.items():
        planned = land + timedelta(days=days)
        actual = None
        if reached:
            slip = {"design": 10, "construction_start": 25, "sales_opening": -5, "topping_out": 40, "handover": 30}.get(kind, 0)
            actual = min(planned + timedelta(days=slip), today)
        rows.append(Milestone(project=project, kind=kind, planned_on=planned, actual_on=actual))
        if kind == reached_until:
            reached = False
    return rows


def load_portfolio(rng, today: date, customers_total: int = 1000):
    departments = {code: Department.objects.get_or_create(code=code, defaults={"name": zh, "name_en": en})[0] for code, zh, en in DEPARTMENTS}
    projects = []
    for code, name, city, company, stage, years in PROJECTS:
        project = Project.objects.create(code=code, name=name, city=city, company=company, stage=stage,
                                         address=f"{city}市示范路{rng.randint(1, 999)}号")
        land = today - timedelta(days=365 * years)
        Milestone.objects.bulk_create(_milestones(project, land, stage, today))
        projects.append(project)

    per_project = customers_total // len(projects)
    customers, contracts = [], []
    seq = 0
    for project in projects:
        buildings = Building.objects.bulk_create([Building(project=project, name=f"{i}栋") for i in range(1, 9)])
        units = []
        for b_index, building in enumerate(buildings, start=1):
            for floor in range(2, 32):
                for door in (1, 2, 3, 4):
                    unit_type = "TA" if door == 1 and floor >= 30 else ("A" if door in (1, 2) else "B")
                    area = Decimal(rng.choice([89, 98, 115, 128, 143]))
                    units.append(Unit(project=project, building=building, number=f"{b_index}-{floor}{door:02d}", unit_type=unit_type, area_m2=area))
        units = Unit.objects.bulk_create(units)
        sold = rng.sample(units, per_project)
        handover_base = {"post_delivery": today - timedelta(days=600), "sales": today + timedelta(days=300),
                         "construction": today + timedelta(days=700)}[project.stage]
        batch_customers = []
        for _unit in sold:
            seq += 1
            birth = rng.randint(1955, 2000)
            age = today.year - birth
            children = sorted(rng.sample(range(0, 18), rng.choice([0, 0, 1, 1, 2]))) if age < 55 else []
            batch_customers.append(Customer(
                external_id=f"DEMO-P{seq:05d}",
                name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2]))),
                phone=f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                id_number=_id_number(rng, birth),
                email=f"owner{seq}@example.com",
                children_ages=children,
                elderly_living_in=age >= 55 or rng.random() < 0.2,
                income_band=rng.choices(["low", "mid", "high"], weights=[25, 60, 15])[0],
                age_band="under_30" if age < 30 else "30_44" if age < 45 else "45_59" if age < 60 else "60_plus",
                household_size=len(children) + rng.choice([1, 2, 2, 3]),
            ))
        batch_customers = Customer.objects.bulk_create(batch_customers)
        batch_contracts = []
        for unit, customer in zip(sold, batch_customers, strict=True):
            signed = handover_base - timedelta(days=rng.randint(400, 900))
            handover = handover_base + timedelta(days=rng.randint(-60, 60))
            batch_contracts.append(Contract(external_id=f"DEMO-C{customer.external_id[-5:]}", project=project, unit=unit,
                                            signed_on=min(signed, today), handover_on=handover))
        batch_contracts = Contract.objects.bulk_create(batch_contracts)
        Contract.customers.through.objects.bulk_create(
            [Contract.customers.through(contract_id=k.pk, customer_id=c.pk) for k, c in zip(batch_contracts, batch_customers, strict=True)]
        )
        customers += batch_customers
        contracts += batch_contracts

    by_code = {p.code: p for p in projects}
    staff: dict[str, list[User]] = {}
    passwords = {}
    for username, role, last, first, dept, codes in STAFF:
        # From the OS's randomness, not the seeded rng: a reproducible demo must not mean guessable passwords.
        password = "".join(secrets.choice(DEMO_PASSWORD_ALPHABET) for _ in range(12))
        user = User.objects.create_user(
            username=username, password=password, role=role, first_name=first, last_name=last,
            email=f"{username}@touchstone.example", department=departments.get(dept) if dept else None,
            is_staff=role in (Role.ADMIN, Role.GROUP_CENTRE), is_superuser=role == Role.ADMIN,
        )
        if codes:
            user.projects.set([by_code[c] for c in codes])
        staff.setdefault(role.value, []).append(user)
        passwords[username] = password
    return projects, staff, customers, contracts, passwords
