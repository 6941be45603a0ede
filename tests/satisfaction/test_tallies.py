"""The group dashboard's survey tallies (``ProjectTally``, kept by database triggers) equal counts
taken in Python from the invitations and responses, through every kind of write and compaction."""

import random
import threading

import pytest
from django.db import connection
from django.utils import timezone

from satisfaction import rules, selectors, services
from satisfaction.models import TALLY_FIELDS, Invitation, ProjectTally, Response, Wave
from tests.factories import ContractFactory, CustomerFactory

ANSWERS = {
    "quality": 4,
    "design": 4,
    "sales": 5,
    "property": 3,
    "service": 4,
    "issues": ["leak"],
    "repurchase": "1",
    "contact": "phone",
    "comment": "好",
}


def survey(project, answers: list[tuple], unanswered: int):
    """Owners of ``project`` due for the 3-month survey today; the first ones answer (overall, recommend)."""
    wave = Wave.objects.get(code="handover-3m")
    handover = rules.add_months(timezone.localdate(), -wave.offset_months)
    for i in range(len(answers) + unanswered):
        ContractFactory(
            unit__building__project=project,
            handover_on=handover,
            customers=[CustomerFactory(email=f"t{project.pk}-{i}@example.com")],
        )
    services.daily_run()
    invitations = Invitation.objects.filter(project=project, sent_at__isnull=False).order_by("pk")
    for invitation, (overall, recommend) in zip(invitations, answers, strict=False):
        services.response_submit(invitation=invitation, answers={**ANSWERS, "overall": overall, "recommend": recommend})


def tallies() -> dict[int, dict]:
    sums = {}
    for t in ProjectTally.objects.all():
        row = sums.setdefault(t.project_id, dict.fromkeys(TALLY_FIELDS, 0))
        for f in TALLY_FIELDS:
            row[f] += getattr(t, f)
    return {pid: row for pid, row in sums.items() if any(row.values())}


def counted() -> dict[int, dict]:
    """The same figures counted in Python from the rows."""
    out = {}
    for inv in Invitation.objects.filter(sent_at__isnull=False):
        out.setdefault(inv.project_id, dict.fromkeys(TALLY_FIELDS, 0))["sent"] += 1
    for r in Response.objects.all():
        row = out.setdefault(r.project_id, dict.fromkeys(TALLY_FIELDS, 0))
        row["responses"] += 1
        if r.overall is not None:
            row["overall_sum"] += r.overall
            row["overall_n"] += 1
            row["satisfied"] += r.overall >= rules.SATISFIED_FROM
        if r.recommend is not None:
            row["recommend_n"] += 1
            row["promoters"] += r.recommend >= rules.PROMOTER_FROM
            row["detractors"] += r.recommend <= rules.DETRACTOR_UP_TO
        if r.repurchase is not None:
            row["repurchase_n"] += 1
            row["repurchase_yes"] += r.repurchase
    return out


def summary_counted(project_ids) -> dict[int, dict]:
    """``satisfaction_project_summary``'s figures from the Python counts."""
    out = {}
    for pid, c in counted().items():
        if pid not in project_ids or not (c["sent"] or c["responses"]):
            continue
        avg = c["overall_sum"] / c["overall_n"] if c["overall_n"] else None
        out[pid] = {
            "responses": c["responses"],
            "sent": c["sent"],
            "response_rate": rules.share(c["responses"], c["sent"]),
            "satisfaction_index": rules.satisfaction_index(avg),
            "share_satisfied": rules.share(c["satisfied"], c["overall_n"]),
            "recommend_score": rules.recommend_score(
                promoters=c["promoters"], detractors=c["detractors"], answers=c["recommend_n"]
            ),
            "repurchase_intent": rules.share(c["repurchase_yes"], c["repurchase_n"]),
        }
    return out


def check(actor, projects, label):
    assert tallies() == counted(), label
    got = selectors.satisfaction_project_summary(actor=actor, projects=projects)
    assert {pid: {k: v for k, v in row.items() if k != "open_follow_ups"} for pid, row in got.items()} == summary_counted(
        {p.pk for p in projects}
    ), label


@pytest.mark.django_db
def test_tallies_equal_the_rows_through_every_write(project, other_project, group_user):
    projects = [project, other_project]
    check(group_user, projects, "empty")
    survey(project, [(5, 10), (4, 9), (2, 3), (3, 7)], unanswered=2)
    survey(other_project, [(1, 0), (5, 6)], unanswered=1)
    check(group_user, projects, "sent and answered")
    services.tallies_compact()
    assert ProjectTally.objects.count() == 2
    check(group_user, projects, "compacted")

    Response.objects.filter(project=project, overall__lt=4).update(overall=4, recommend=None, repurchase=False)
    check(group_user, projects, "bulk update of scores")
    Invitation.objects.filter(project=project, status=Invitation.Status.SENT).update(status=Invitation.Status.SENT)
    check(group_user, projects, "an update that moves nothing")
    moved = Response.objects.filter(project=project).order_by("pk").first()
    Response.objects.filter(pk=moved.pk).update(project=other_project)
    check(group_user, projects, "a response moved to another project")
    Response.objects.filter(project=other_project).order_by("pk").last().delete()
    check(group_user, projects, "a response deleted")
    services.tallies_compact()
    check(group_user, projects, "compacted again")
    unanswered = Invitation.objects.filter(project=project, response__isnull=True, sent_at__isnull=False).first()
    Invitation.objects.filter(pk=unanswered.pk).update(sent_at=None)
    check(group_user, projects, "sent_at cleared")
    Invitation.objects.filter(project=other_project).delete()  # cascades to its responses
    check(group_user, projects, "invitations and their responses deleted")
    services.tallies_compact()
    services.tallies_compact()
    assert ProjectTally.objects.count() == len(counted())  # one row per project with any figure
    check(group_user, projects, "compacted twice")
    check(group_user, [other_project], "narrowed to one project")


@pytest.mark.django_db
def test_scoped_actor_sees_only_their_projects_tallies(project, other_project, staff):
    survey(project, [(5, 10)], unanswered=1)
    survey(other_project, [(1, 0)], unanswered=0)
    got = selectors.satisfaction_project_summary(actor=staff, projects=[project, other_project])
    assert set(got) == {project.pk}
    assert got[project.pk]["responses"] == 1 and got[project.pk]["sent"] == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_compactions_at_once_keep_the_sums(project, other_project):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    rng = random.Random(7)
    ProjectTally.objects.bulk_create(
        ProjectTally(project_id=rng.choice([project.pk, other_project.pk]), **{f: rng.randint(-3, 9) for f in TALLY_FIELDS})
        for _ in range(500)
    )
    before = tallies()
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            results.append(services.tallies_compact())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # One folds the 500 deltas; the other is skipped (the lock is held) or, starting after the first
    # committed, folds its one row per project again.
    first, second = sorted(results, key=lambda r: -r["rows"])
    assert first == {"skipped": False, "rows": 500}
    assert second in ({"skipped": True, "rows": 0}, {"skipped": False, "rows": len(before)})
    assert tallies() == before
    assert ProjectTally.objects.count() == len(before)
