import random
from datetime import timedelta

from django.utils import timezone

from crm_site.demo_context import DemoContext
from satisfaction import demo
from satisfaction.models import Invitation, Response
from tests.factories import ContractFactory, CustomerFactory, ProjectFactory


def test_demo_replays_runs_and_answers(db):
    today = timezone.localdate()
    projects = [ProjectFactory(code=f"D{i}") for i in range(3)]
    contracts = [
        ContractFactory(
            unit__building__project=projects[i % 3],
            handover_on=today - timedelta(days=100 + 3 * i),
            customers=[CustomerFactory(email=f"d{i}@example.com")],
        )
        for i in range(12)
    ]
    ctx = DemoContext(
        rng=random.Random(7),
        today=today,
        projects=projects,
        staff={},
        customers=[],
        contracts=contracts,
        extra={"satisfaction_replay_days": 60},
    )
    summary = demo.load(ctx)
    assert Invitation.objects.filter(wave__code="handover-3m").count() == 12
    assert Response.objects.count() >= 1
    assert summary.startswith("61 daily runs replayed")
