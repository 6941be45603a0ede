"""The measured figures. Each returns a Figure, or None when its app is not installed yet."""

import random

from django.db import transaction

from estates.models import ApiClient
from estates.sync import contracts_sync

from .measure import measure
from .seed import bench_projects


def seed_apps(*, complaints: int, rng: random.Random) -> dict:
    return {}


def _sync_client() -> ApiClient:
    codes = list(bench_projects().values_list("code", flat=True))
    client = ApiClient.objects.filter(name="bench-sync").first()
    if client is None:
        from estates.services import api_client_create

        client, _key = api_client_create(name="bench-sync", project_codes=codes)
    return client


def sync_1000(*, repeat: int):
    client = _sync_client()
    code = bench_projects().first().code
    counter = {"n": 0}

    def batch():
        counter["n"] += 1
        n = counter["n"]
        return [{"external_id": f"BN-SYNC-{n}-{i}", "project": {"code": code, "name": "基准", "city": "深圳"},
                 "unit": {"building": f"S{n}", "number": f"S{n}-{i}", "area_m2": "89.50"},
                 "customers": [{"external_id": f"BN-SYNC-P{n}-{i}", "name": f"同步业主{i}", "phone": f"137{i:08d}",
                                "household": {"children_ages": [6], "elderly": False, "income_band": "mid"}}],
                 "signed_on": "2025-03-01", "handover_on": "2026-06-30"} for i in range(1000)]

    def run():
        records = batch()
        with transaction.atomic():
            result = contracts_sync(actor=client, records=records)
        return f"created {result.created}"

    return measure("sync_1000", run, repeat=max(3, repeat // 4), floor=False)


SCENARIOS = {
    "sync_1000": sync_1000,
}
