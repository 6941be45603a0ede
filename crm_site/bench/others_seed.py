"""Defects, risk items and survey responses in proportion to the complaints (issue 8's scale:
1,000,000 complaints → 100,000 defects and 500,000 survey responses; risk items 1 per 1,000).

Rows look like the state the workflows leave: closed defects graded A/B with their dates, open
ones spread over the review and rectification steps, some past their due date; responded survey
invitations with headline scores (overall 1–5, recommend 0–10) in the seed's proportions.
Loaded by COPY with secondary indexes rebuilt after, like the complaints.
"""

import random
from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from estates.models import Contract

from .copy import copy_model, indexes_deferred, next_id, reset_sequence
from .seed import analyze, bench_projects

DEFECT_TITLES = [
    "外墙渗水",
    "卫生间防水失效",
    "窗框密封不严",
    "地下车库渗漏",
    "楼板裂缝",
    "电梯厅空鼓",
    "屋面防水层破损",
    "入户门变形",
]
DEFECT_SOURCES = ["mock_inspection", "handover", "warranty", "complaint", "patrol"]
DEFECT_OPEN = [
    "reported",
    "under_review",
    "graded",
    "rectifying",
    "awaiting_acceptance",
    "accepted",
    "verified",
    "reported_to_gm",
]
RISK_TITLES = ["样板房与交付标准不一致", "周边规划学校未落地", "交付前园林未完工", "车位配比不足", "外立面材料变更未公示"]
# Not handover-3m: the survey_wave figure plans that wave afresh on every run.
SURVEY_WAVES = ["handover-11m", "handover-23m", "handover-35m", "finished-visit", "frame-visit", "presale-reception"]


def _installed(label: str) -> bool:
    return apps.is_installed(label)


def seed_defects(*, total: int, rng: random.Random) -> dict:
    Defect = apps.get_model("defects", "Defect")
    projects = list(bench_projects())
    if not projects or Defect.objects.filter(project__in=projects).exists():
        return {"defects": Defect.objects.filter(project__in=projects).count(), "defects_seeded": False}
    now = timezone.now()
    today = timezone.localdate()
    pk0 = next_id("defects_defect")
    numbers = {p.pk: 0 for p in projects}

    def rows():
        for i in range(total):
            project = rng.choice(projects)
            numbers[project.pk] += 1
            n = numbers[project.pk]
            found = today - timedelta(days=rng.uniform(0, 730))
            closed = rng.random() < 0.7 and (today - found).days > 20
            created = timezone.make_aware(timezone.datetime.combine(found, timezone.datetime.min.time())) + timedelta(hours=9)
            grade = rng.choices(["A", "B", ""], [30, 60, 10])[0] if closed else rng.choice(["A", "B", ""])
            status = "closed" if closed else rng.choice(DEFECT_OPEN)
            if status in ("reported", "under_review"):
                grade = ""
            elif not grade:
                grade = "B"
            title = rng.choice(DEFECT_TITLES)
            yield {
                "id": pk0 + i,
                "created_at": created,
                "updated_at": created,
                "project_id": project.pk,
                "series": "SJ",
                "number": n,
                "code": f"SJ{n:05d}",
                "title": title,
                "description": f"{title}，影响{rng.randint(1, 40)}户。",
                "source": rng.choice(DEFECT_SOURCES),
                "households_affected": rng.randint(1, 40),
                "found_on": found,
                "due_on": found + timedelta(days=rng.choice([15, 30, 60])),
                "status": status,
                "grade": grade,
                "closed_at": min(now, created + timedelta(days=rng.uniform(5, 60))) if closed else None,
            }

    with transaction.atomic(), indexes_deferred("defects_defect"):
        n = copy_model(Defect, rows())
        reset_sequence("defects_defect")
    return {"defects": n, "defects_seeded": True}


def seed_risk_items(*, total: int, rng: random.Random) -> dict:
    RiskItem = apps.get_model("risk", "RiskItem")
    projects = list(bench_projects())
    if not projects or RiskItem.objects.filter(project__in=projects).exists():
        return {"risk_items": RiskItem.objects.filter(project__in=projects).count(), "risk_seeded": False}
    now = timezone.now()
    today = timezone.localdate()
    pk0 = next_id("risk_riskitem")

    def rows():
        for i in range(total):
            created = now - timedelta(days=rng.uniform(0, 365))
            closed = rng.random() < 0.6
            yield {
                "id": pk0 + i,
                "created_at": created,
                "updated_at": created,
                "project_id": rng.choice(projects).pk,
                "title": rng.choice(RISK_TITLES),
                "source": rng.choice(["product", "management", "organisational", "external"]),
                "customer_view": rng.choice(["marketing", "delivery", "comprehensive"]),
                "level": rng.choices(["high", "medium", "low"], [15, 45, 40])[0],
                "deadline": today + timedelta(days=rng.randint(-60, 90)),
                "status": "closed" if closed else rng.choice(["open", "in_progress"]),
                "closing_note": "已整改" if closed else "",
                "closed_at": created + timedelta(days=rng.uniform(1, 30)) if closed else None,
            }

    with transaction.atomic():
        n = copy_model(RiskItem, rows())
        reset_sequence("risk_riskitem")
    return {"risk_items": n, "risk_seeded": True}


def seed_survey_responses(*, total: int, rng: random.Random) -> dict:
    Wave = apps.get_model("satisfaction", "Wave")
    Invitation = apps.get_model("satisfaction", "Invitation")
    Response = apps.get_model("satisfaction", "Response")
    projects = list(bench_projects())
    if not projects or Response.objects.filter(project__in=projects).exists():
        return {"survey_responses": Response.objects.filter(project__in=projects).count(), "responses_seeded": False}
    waves = {w.code: w for w in Wave.objects.filter(code__in=SURVEY_WAVES)}
    waves = [waves[c] for c in SURVEY_WAVES if c in waves]
    if not waves:
        return {"survey_responses": 0, "responses_seeded": False}
    contracts = list(
        Contract.customers.through.objects.filter(contract__project__in=projects).values_list(
            "contract_id", "customer_id", "contract__project_id"
        )
    )
    now = timezone.now()
    inv0, res0 = next_id("satisfaction_invitation"), next_id("satisfaction_response")
    responses = []
    # Each (wave, contract, customer) once: walk the waves, then the contracts, until ``total``.
    pairs = ((w, c) for w in waves for c in contracts)

    def invitations():
        for i, (wave, (contract_id, customer_id, project_id)) in zip(range(total), pairs, strict=False):
            answered = now - timedelta(days=rng.uniform(0, 730))
            sent = answered - timedelta(days=rng.uniform(0.1, 10))
            overall = rng.choices([1, 2, 3, 4, 5], [3, 5, 14, 43, 35])[0]
            recommend = max(0, min(10, overall * 2 + rng.randint(-2, 1)))
            responses.append(
                {
                    "id": res0 + i,
                    "invitation_id": inv0 + i,
                    "project_id": project_id,
                    "wave_id": wave.pk,
                    "template_id": wave.template_id,
                    "submitted_at": answered,
                    "overall": overall,
                    "recommend": recommend,
                    "repurchase": overall >= 4,
                    "is_low": overall <= wave.low_score_threshold,
                }
            )
            yield {
                "id": inv0 + i,
                "created_at": sent,
                "updated_at": answered,
                "wave_id": wave.pk,
                "template_id": wave.template_id,
                "project_id": project_id,
                "contract_id": contract_id,
                "customer_id": customer_id,
                "occurrence": "bench",
                "status": "responded",
                "channel": wave.channel,
                "due_on": timezone.localtime(sent).date(),
                "closes_on": timezone.localtime(sent).date() + timedelta(days=wave.window_days),
                "sent_at": sent,
                "responded_at": answered,
            }

    with transaction.atomic(), indexes_deferred("satisfaction_invitation", "satisfaction_response"):
        n = copy_model(Invitation, invitations())
        copy_model(Response, responses)
        reset_sequence("satisfaction_invitation")
        reset_sequence("satisfaction_response")
    return {"survey_responses": n, "responses_seeded": True}


def seed_others(*, complaints: int, rng: random.Random) -> dict:
    """The other apps' rows in proportion to ``complaints``; each part skipped if already there."""
    seeded = {}
    if _installed("defects"):
        seeded.update(seed_defects(total=complaints // 10, rng=rng))
    if _installed("risk"):
        seeded.update(seed_risk_items(total=max(100, complaints // 1000), rng=rng))
    if _installed("satisfaction"):
        seeded.update(seed_survey_responses(total=complaints // 2, rng=rng))
    analyze()
    return seeded
