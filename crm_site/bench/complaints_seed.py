"""A million complaints that look like two years of a large developer's centre.

Category mix after the seed's half-year figures (construction quality 6,360 far ahead of planning
and design 501); about 30 % open, all recent; closed ones with a follow-up call. Rows whose due
times have passed are stored as the sweep would have left them (breached flags set, severity
raised, escalation rows written), so that an idle sweep really has nothing to do.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent, Escalation, Revisit, Severity
from estates.models import Contract, Role, User

from .copy import copy_model, indexes_deferred, next_id, reset_sequence
from .seed import analyze, bench_projects

CATEGORIES = ["construction_quality", "planning_design", "sales", "property", "service", "other"]
CATEGORY_WEIGHTS = [70, 9, 7, 8, 4, 2]
CHANNELS = ["hotline", "online", "info_system", "visit", "letter", "media"]
CHANNEL_WEIGHTS = [38, 25, 15, 15, 5, 2]
FIRST_RESPONSE_H = {"online": 24, "info_system": 4}
TITLES = {
    "construction_quality": ["卫生间渗水", "外墙空鼓开裂", "窗户密封不严漏风", "地面起砂", "天窗漏水", "入户门变形", "墙面霉斑"],
    "planning_design": ["小区车位不足", "户型采光与宣传不符", "绿化面积缩水", "电梯数量不足"],
    "sales": ["销售承诺学校未兑现", "合同条款争议", "延期交付赔偿"],
    "property": ["物业费收费不透明", "保安巡逻不到位", "垃圾清运不及时"],
    "service": ["客服回复慢", "维修人员态度差"],
    "other": ["其他问题"],
}


def bench_staff(project):
    user, _created = User.objects.get_or_create(
        username=f"bench_{project.code}", defaults={"role": Role.CR_STAFF, "first_name": "基准"}
    )
    user.projects.add(project)
    return user


def seed_complaints(*, total: int, rng: random.Random) -> dict:
    projects = list(bench_projects())
    if not projects or Complaint.objects.filter(project__in=projects).exists():
        return {"complaints": Complaint.objects.filter(project__in=projects).count(), "complaints_seeded": False}
    now = timezone.now()
    staff = {p.pk: bench_staff(p) for p in projects}
    customers_by_project = {}
    for p in projects:
        customers_by_project[p.pk] = list(
            Contract.customers.through.objects.filter(contract__project=p).values_list(
                "customer_id", "contract__unit_id", "contract__unit__building_id"
            )[:5000]
        )
    weights = [rng.uniform(0.5, 2.0) for _ in projects]
    cid0, eid0, rid0, xid0 = (
        next_id("complaints_complaint"),
        next_id("complaints_complaintevent"),
        next_id("complaints_revisit"),
        next_id("complaints_escalation"),
    )
    events, revisits, escalations = [], [], []
    counters = {"open": 0}

    def complaint_rows():
        nonlocal eid0, rid0, xid0
        for i in range(total):
            pk = cid0 + i
            project = rng.choices(projects, weights)[0]
            cust, unit, building = rng.choice(customers_by_project[project.pk])
            category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
            channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
            is_open = rng.random() < 0.30
            age = timedelta(days=rng.uniform(0, 120)) if is_open else timedelta(days=rng.uniform(10, 730))
            created = now - age
            fr_due = created + timedelta(hours=FIRST_RESPONSE_H.get(channel, 12))
            res_due = created + timedelta(days=5)
            hot_at, major_at = created + timedelta(days=7), created + timedelta(days=30)
            severity = rng.choices([0, 1, 2, 3], [84, 10, 5, 1])[0]
            row = {
                "id": pk,
                "created_at": created,
                "updated_at": created,
                "reference": f"TS{timezone.localtime(created):%y%m%d}-{pk:07d}",
                "project_id": project.pk,
                "unit_id": unit,
                "building_id": building,
                "customer_id": cust,
                "complainant_key": f"c:{cust}",
                "complainant_count": 1,
                "channel": channel,
                "category": category,
                "title": rng.choice(TITLES[category]),
                "description": "业主反映：" + rng.choice(TITLES[category]) + "，希望尽快处理。",
                "occurred_at": created,
                "first_response_due": fr_due,
                "resolution_due": res_due,
                "hot_at": hot_at,
                "major_at": major_at,
                "assignee_id": staff[project.pk].pk,
            }
            events.append(
                {"id": eid0, "complaint_id": pk, "at": created, "kind": ComplaintEvent.Kind.FILED, "actor_label": "system"}
            )
            eid0 += 1
            if is_open:
                counters["open"] += 1
                status = rng.choices(["received", "in_progress", "on_hold"], [15, 75, 10])[0]
                responded = None if status == "received" else created + timedelta(hours=rng.uniform(0.5, 20))
                level = 0
                if status == "received" and fr_due < now:
                    row["first_response_breached"] = True
                    level += 1
                if res_due < now:
                    row["resolution_breached"] = True
                    level += 1
                if status != "on_hold":
                    if hot_at < now:
                        severity = max(severity, Severity.HOT)
                    if major_at < now:
                        severity = max(severity, Severity.MAJOR)
                        level += 1
                else:
                    row["held_since"] = now - timedelta(days=rng.uniform(0, 3))
                for lv in range(1, level + 1):
                    escalations.append(
                        {
                            "id": xid0,
                            "complaint_id": pk,
                            "level": lv,
                            "reason": "resolution",
                            "created_at": created + timedelta(days=lv),
                        }
                    )
                    xid0 += 1
                row.update(status=status, first_responded_at=responded, escalation_level=level, severity=severity)
                if responded:
                    events.append(
                        {
                            "id": eid0,
                            "complaint_id": pk,
                            "at": responded,
                            "kind": ComplaintEvent.Kind.RESPONDED,
                            "actor_label": "基准",
                        }
                    )
                    eid0 += 1
            else:
                responded = created + timedelta(hours=rng.uniform(0.5, FIRST_RESPONSE_H.get(channel, 12) * 1.2))
                resolved = created + timedelta(days=rng.uniform(0.5, 8))
                closed = resolved + timedelta(days=rng.uniform(0.2, 3))
                status = "closed" if rng.random() < 0.93 else "resolved"
                row.update(
                    status=status,
                    first_responded_at=responded,
                    resolved_at=resolved,
                    severity=severity,
                    closed_at=closed if status == "closed" else None,
                    revisit_due=resolved + timedelta(days=3),
                )
                events.append(
                    {
                        "id": eid0,
                        "complaint_id": pk,
                        "at": responded,
                        "kind": ComplaintEvent.Kind.RESPONDED,
                        "actor_label": "基准",
                    }
                )
                events.append(
                    {
                        "id": eid0 + 1,
                        "complaint_id": pk,
                        "at": resolved,
                        "kind": ComplaintEvent.Kind.RESOLVED,
                        "actor_label": "基准",
                    }
                )
                eid0 += 2
                if status == "closed":
                    score = rng.choices([1, 2, 3, 4, 5], [3, 5, 10, 40, 42])[0]
                    revisits.append(
                        {"id": rid0, "complaint_id": pk, "satisfied": score >= 4, "score": score, "created_at": closed}
                    )
                    rid0 += 1
                    events.append(
                        {"id": eid0, "complaint_id": pk, "at": closed, "kind": ComplaintEvent.Kind.CLOSED, "actor_label": "基准"}
                    )
                    eid0 += 1
            yield row

    with transaction.atomic(), indexes_deferred("complaints_complaint", "complaints_complaintevent"):
        n = copy_model(Complaint, complaint_rows())
        copy_model(ComplaintEvent, events)
        copy_model(Revisit, revisits)
        copy_model(Escalation, escalations)
        for table in ("complaints_complaint", "complaints_complaintevent", "complaints_revisit", "complaints_escalation"):
            reset_sequence(table)
    # The steady state the dashboards read: every seeded day folded into the daily counts (the
    # triggers marked them all dirty during the COPY), and the visibility map set so that the
    # open-complaints counts are index-only scans.
    from complaints import open_tally
    from complaints.rollups import rollups_rebuild

    rollups_rebuild()
    open_tally.compact()  # the COPY's trigger appended the deltas; one row per key, as the worker leaves it
    analyze()  # VACUUM ANALYZE outside a transaction (seed.analyze)
    return {
        "complaints": n,
        "open": counters["open"],
        "events": len(events),
        "revisits": len(revisits),
        "escalations": len(escalations),
        "complaints_seeded": True,
    }
