"""A realistic dataset at scale: 20 projects in several cities, their units, owners and contracts,
then each app's records in proportion (complaints over two years with the seed's category mix)."""

import json
import random
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from estates.models import Project
from estates.validators import id_number_check_char

from .copy import copy_rows, next_id, reset_sequence

CITIES = [
    ("深圳", "深圳城市公司"),
    ("广州", "广州城市公司"),
    ("天津", "天津城市公司"),
    ("成都", "成都城市公司"),
    ("武汉", "武汉城市公司"),
    ("杭州", "杭州城市公司"),
    ("西安", "西安城市公司"),
]
STAGES = ["post_delivery", "residence", "delivery", "sales", "construction"]
BENCH_PREFIX = "BN"


def bench_projects():
    return Project.objects.filter(code__startswith=f"{BENCH_PREFIX}-").order_by("code")


def seed_portfolio(*, projects: int = 20, contracts_per_project: int = 5000, rng: random.Random) -> dict:
    """Projects, buildings, units, customers and contracts by COPY. Returns counts."""
    if bench_projects().exists():
        return {"projects": bench_projects().count(), "seeded": False}
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        pid0 = next_id("estates_project")
        project_rows = []
        for i in range(projects):
            city, company = CITIES[i % len(CITIES)]
            project_rows.append(
                (
                    pid0 + i,
                    now,
                    now,
                    f"{BENCH_PREFIX}-{i:02d}",
                    f"{city}基准花园{i:02d}期",
                    city,
                    company,
                    STAGES[i % len(STAGES)],
                    f"{city}市基准路{i}号",
                )
            )
        copy_rows(
            "estates_project",
            ["id", "created_at", "updated_at", "code", "name", "city", "company", "stage", "address"],
            project_rows,
        )
        bid0 = next_id("estates_building")
        buildings_per_project = 20
        copy_rows(
            "estates_building",
            ["id", "project_id", "name"],
            (
                (bid0 + p * buildings_per_project + b, pid0 + p, f"{b + 1}栋")
                for p in range(projects)
                for b in range(buildings_per_project)
            ),
        )
        uid0, cid0, kid0, lid0 = (
            next_id("estates_unit"),
            next_id("estates_customer"),
            next_id("estates_contract"),
            next_id("estates_contract_customers"),
        )

        def units():
            for p in range(projects):
                for n in range(contracts_per_project):
                    b = n % buildings_per_project
                    floor, door = divmod(n // buildings_per_project, 4)
                    yield (
                        uid0 + p * contracts_per_project + n,
                        pid0 + p,
                        bid0 + p * buildings_per_project + b,
                        f"{b + 1}-{floor + 2}{door + 1:02d}",
                        rng.choice("AABBC"),
                        rng.choice([89, 98, 115, 128, 143]),
                    )

        copy_rows("estates_unit", ["id", "project_id", "building_id", "number", "unit_type", "area_m2"], units())

        def customers():
            for i in range(projects * contracts_per_project):
                first17 = f"4403051980{rng.randint(1, 12):02d}{rng.randint(10, 28)}{i % 1000:03d}"
                yield (
                    cid0 + i,
                    now,
                    now,
                    f"BN-P{i:07d}",
                    f"业主{i}",
                    f"139{i:08d}",
                    first17 + id_number_check_char(first17),
                    "",
                    json.dumps(sorted(rng.sample(range(18), rng.choice([0, 0, 1, 2])))),
                    rng.random() < 0.25,
                    rng.choice(["low", "mid", "mid", "high"]),
                    rng.choice(["under_30", "30_44", "45_59", "60_plus"]),
                    rng.randint(1, 5),
                    False,
                )

        copy_rows(
            "estates_customer",
            [
                "id",
                "created_at",
                "updated_at",
                "external_id",
                "name",
                "phone",
                "id_number",
                "email",
                "children_ages",
                "elderly_living_in",
                "income_band",
                "age_band",
                "household_size",
                "opted_out",
            ],
            customers(),
        )

        def contracts():
            for p in range(projects):
                base = today - timedelta(days=rng.randint(-200, 1300))
                for n in range(contracts_per_project):
                    i = p * contracts_per_project + n
                    handover = base + timedelta(days=rng.randint(-45, 45))
                    yield (
                        kid0 + i,
                        now,
                        now,
                        f"BN-C{i:07d}",
                        pid0 + p,
                        uid0 + i,
                        handover - timedelta(days=rng.randint(300, 800)),
                        handover,
                        "active",
                    )

        copy_rows(
            "estates_contract",
            ["id", "created_at", "updated_at", "external_id", "project_id", "unit_id", "signed_on", "handover_on", "status"],
            contracts(),
        )
        copy_rows(
            "estates_contract_customers",
            ["id", "contract_id", "customer_id"],
            ((lid0 + i, kid0 + i, cid0 + i) for i in range(projects * contracts_per_project)),
        )
        for table in (
            "estates_project",
            "estates_building",
            "estates_unit",
            "estates_customer",
            "estates_contract",
            "estates_contract_customers",
        ):
            reset_sequence(table)
    analyze()
    return {"projects": projects, "contracts": projects * contracts_per_project, "seeded": True}


def analyze():
    """Planner statistics, and outside a transaction (the bench command, not a test) the visibility
    map too: COPY leaves no page all-visible, so index-only scans would still read the table."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def aware(d: date, seconds: int) -> datetime:
    return timezone.make_aware(datetime.combine(d, datetime.min.time())) + timedelta(seconds=seconds)
