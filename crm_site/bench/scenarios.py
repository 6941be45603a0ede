"""The measured figures. Each returns a Figure, or None when what it measures is not installed."""

import importlib
import random
from datetime import timedelta

from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from estates.models import ApiClient
from estates.sync import contracts_sync

from .measure import measure
from .seed import bench_projects


def _has(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError:
        return False
    return True


def seed_apps(*, complaints: int, rng: random.Random) -> dict:
    seeded = {}
    if _has("complaints.escalation"):
        from .complaints_seed import seed_complaints

        seeded.update(seed_complaints(total=complaints, rng=rng))
    from .others_seed import seed_others

    seeded.update(seed_others(complaints=complaints, rng=rng))
    return seeded


def _api_client() -> tuple[ApiClient, str]:
    """A fresh key each run (only its hash is stored, so an old key cannot be read back)."""
    from estates.services import api_client_create

    ApiClient.objects.filter(name="bench-sync").delete()
    return api_client_create(name="bench-sync", project_codes=list(bench_projects().values_list("code", flat=True)))


def _project():
    # The busiest bench project: its inbox is the one a real centre would worry about.
    return bench_projects().first()


def _staff_client():
    from .complaints_seed import bench_staff

    client = Client()
    client.force_login(bench_staff(_project()))
    return client


def _api():
    _client, key = _api_client()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def _get(client, url, expect=200):
    def run():
        response = client.get(url)
        assert response.status_code == expect, (url, response.status_code, response.content[:300])
        return None

    return run


def sync_1000(*, repeat: int):
    client, _key = _api_client()
    project = _project()
    counter = {"n": 0}

    def run():
        counter["n"] += 1
        n = counter["n"]
        records = [
            {
                "external_id": f"BN-SYNC-{timezone.now():%H%M%S}-{n}-{i}",
                "project": {"code": project.code, "name": project.name, "city": project.city},
                "unit": {"building": f"S{n}", "number": f"S{n}-{i}-{timezone.now():%H%M%S}", "area_m2": "89.50"},
                "customers": [
                    {
                        "external_id": f"BN-SYNC-P{timezone.now():%H%M%S}-{n}-{i}",
                        "name": f"同步业主{i}",
                        "phone": f"137{i:08d}",
                        "household": {"children_ages": [6], "elderly": False, "income_band": "mid"},
                    }
                ],
                "signed_on": "2025-03-01",
                "handover_on": "2026-06-30",
            }
            for i in range(1000)
        ]
        with transaction.atomic():
            result = contracts_sync(actor=client, records=records)
        return f"created {result.created}"

    return measure("sync_1000", run, repeat=max(3, repeat // 4), floor=False)


def _sweep():
    from complaints.escalation import complaints_sweep

    return complaints_sweep


def sweep_idle(*, repeat: int):
    if not _has("complaints.escalation"):
        return None
    sweep = _sweep()
    settled = sweep().escalations  # what fell due since the last run (seeding, an earlier bench)
    return measure("sweep_idle", lambda: f"escalations {sweep().escalations} (settled {settled} first)", repeat=repeat)


def sweep_due(*, repeat: int):
    """1 % of open complaints just passed their resolution due time; the sweep escalates them."""
    if not _has("complaints.escalation"):
        return None
    from complaints.models import Complaint, Escalation

    sweep = _sweep()
    open_ids = list(Complaint.objects.filter(status="in_progress", escalation_level__lt=3).values_list("pk", flat=True))
    n_due = max(1, Complaint.objects.filter(status__in=Complaint.OPEN_STATUSES).count() // 100)
    rng = random.Random(3)  # noqa: S311 - sampling rows, not secrets

    def setup():
        ids = rng.sample(open_ids, min(n_due, len(open_ids)))
        Escalation.objects.filter(complaint_id__in=ids, level__gt=0).exclude(reason="resolution").delete()
        Complaint.objects.filter(pk__in=ids).update(
            resolution_due=timezone.now() - timedelta(minutes=1), resolution_breached=False
        )
        # The escalation the sweep will add must be free: step the level back where needed.
        for level in (3, 2, 1):
            taken = Escalation.objects.filter(complaint_id__in=ids, level=level).values_list("complaint_id", flat=True)
            Complaint.objects.filter(pk__in=list(taken), escalation_level__gte=level).update(escalation_level=level)

    def run():
        result = sweep()
        return f"{n_due} due, escalations {result.escalations}"

    return measure("sweep_due", run, setup=setup, repeat=max(3, repeat // 4))


def inbox_page(*, repeat: int):
    if not _has("complaints.escalation"):
        return None
    client = _staff_client()
    return measure("inbox_page", _get(client, f"/complaints/?project={_project().code}&status=in_progress"), repeat=repeat)


def api_list(*, repeat: int):
    if not _has("complaints.escalation"):
        return None
    return measure("api_list", _get(_api(), f"/api/v1/complaints/?project={_project().code}&status=in_progress"), repeat=repeat)


def api_detail(*, repeat: int):
    if not _has("complaints.escalation"):
        return None
    from complaints.models import Complaint

    mine = Complaint.objects.filter(project=_project()).order_by("-pk").values_list("pk", flat=True)
    pk = mine.filter(status="in_progress").first() or mine.first()  # a small dataset may have none in progress
    return measure("api_detail", _get(_api(), f"/api/v1/complaints/{pk}/"), repeat=repeat)


def api_create(*, repeat: int):
    if not _has("complaints.escalation"):
        return None
    api = _api()
    code = _project().code

    def run():
        response = api.post(
            "/api/v1/complaints/",
            {
                "project": code,
                "channel": "online",
                "category": "construction_quality",
                "title": "卫生间渗水",
                "description": "基准测试：卫生间顶棚渗水，已持续三天。",
                "contact": {"name": "基准业主", "phone": "13700000000"},
            },
            format="json",
        )
        assert response.status_code == 201, response.content[:300]
        return None

    return measure("api_create", run, repeat=repeat)


def _dashboard(name: str, url_name: str, kwargs_fn):
    def scenario(*, repeat: int):
        try:
            url = reverse(url_name, kwargs=kwargs_fn())
        except NoReverseMatch:
            return None
        from estates.models import Role, User

        user, _created = User.objects.get_or_create(username="bench_group", defaults={"role": Role.GROUP_CENTRE})
        client = Client()
        client.force_login(user)
        from django.core.cache import cache

        if _has("complaints.rollups"):
            # The steady state: the worker folds changed days into the rollup every minute; other
            # scenarios (sweep_due, api_create) have just changed some, which it would have folded.
            from complaints.rollups import rollups_refresh

            rollups_refresh()

        def run():
            cache.clear()  # the figure is the uncached aggregate; the cache only hides it
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return measure(name, run, repeat=repeat)

    return scenario


def survey_wave(*, repeat: int):
    """Invitations of the 3-month wave for every bench contract (100,000): all made due today."""
    if not _has("satisfaction.services"):
        return None
    from estates.models import Contract
    from satisfaction import rules as srules
    from satisfaction import services as ssvc
    from satisfaction.models import Invitation, Run, Wave

    wave = Wave.objects.filter(trigger=Wave.Trigger.HANDOVER, offset_months=3, offset_days=0).first()
    if wave is None:
        return None
    today = timezone.localdate()
    handover = srules.add_months(today, -3)
    contracts = Contract.objects.filter(project__in=bench_projects())
    # Only this wave is due: the others' handover windows are years away from this date.
    contracts.update(handover_on=handover)
    n = contracts.count()

    def setup():
        # Only this wave's invitations: the seeded survey responses of the other waves stay.
        Invitation.objects.filter(contract__in=contracts, wave=wave).delete()

    def run():
        created = ssvc.invitations_plan(run=Run.objects.create(run_on=today), now=timezone.now())
        return f"{created} invitations for {n} contracts"

    return measure("survey_wave", run, setup=setup, repeat=max(1, repeat // 10), floor=False)


SCENARIOS = {
    "sweep_idle": sweep_idle,
    "sweep_due": sweep_due,
    "inbox_page": inbox_page,
    "api_list": api_list,
    "api_detail": api_detail,
    "api_create": api_create,
    "dashboard_project": _dashboard("dashboard_project", "dashboards:project-dashboard", lambda: {"code": _project().code}),
    "dashboard_group": _dashboard("dashboard_group", "dashboards:group-dashboard", dict),
    "sync_1000": sync_1000,
    "survey_wave": survey_wave,
}
