"""Group-complaint warning (群诉预警): clustering complaints before they become a group complaint.

Complaints of the same project and category — and the same building, or near-identical text when
no building is known — from distinct complainants within 30 days form a cluster. At 3 distinct
complainants every open member becomes at least hot, at 10 major; managers are told once per
threshold (a dedupe key per cluster and threshold, and ``notified_severity`` on the cluster).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from estates.models import Role, User
from estates.notifications import notify

from . import rules
from .models import Complaint, ComplaintEvent, GroupCluster, Severity

CANDIDATES = 50  # recent text-only clusters compared for near-identical titles


def cluster_attach(*, complaint: Complaint, now: datetime, also_write=()) -> GroupCluster:
    """Put a just-filed complaint in its cluster (creating one), recount, raise and notify.

    Runs inside the filing transaction; the cluster row is locked so that two filings at once
    count each other. ``also_write`` names fields of ``complaint`` set in memory that the UPDATE
    putting it in the cluster writes too (filing saves a round trip).
    """
    from .services import _change_severity, event_record

    since = now - rules.CLUSTER_WINDOW
    signature = rules.text_signature(complaint.title)
    candidates = GroupCluster.objects.filter(project=complaint.project, category=complaint.category, last_at__gte=since)
    if complaint.building_id:
        candidates = candidates.filter(building_id=complaint.building_id)
        limit = 1
    else:
        candidates = candidates.filter(building__isnull=True)
        limit = CANDIDATES
    # Lock in primary-key order, then choose by recency: locking in last_at order (a column every
    # filing moves) let two filings lock the same clusters in opposite orders and deadlock (load run).
    # One query: the most recent candidates chosen in a subquery, locked by the outer query in pk order.
    recent = candidates.order_by("-last_at").values("pk")[:limit]
    locked = sorted(
        GroupCluster.objects.select_for_update().filter(pk__in=recent).order_by("pk"), key=lambda c: c.last_at, reverse=True
    )
    if complaint.building_id:
        cluster = locked[0] if locked else None
    else:
        cluster = next((c for c in locked if rules.near_identical(c.signature, signature)), None)
    if cluster is None:
        cluster = GroupCluster.objects.create(
            project=complaint.project,
            category=complaint.category,
            building_id=complaint.building_id,
            signature=signature,
            first_at=now,
            last_at=now,
        )
    written = {}
    for name in also_write:
        model_field = Complaint._meta.get_field(name)
        written[model_field.attname] = getattr(complaint, model_field.attname)
    Complaint.objects.filter(pk=complaint.pk).update(cluster=cluster, **written)
    complaint.cluster = cluster
    members = Complaint.objects.filter(cluster=cluster, created_at__gte=since)
    count = members.values("complainant_key").distinct().count()
    cluster.complainant_count, cluster.last_at = count, now
    cluster.save(update_fields=["complainant_count", "last_at"])

    floor = rules.cluster_severity(count)
    if count > 1:
        event_record(
            complaint=complaint,
            actor=None,
            kind=ComplaintEvent.Kind.CLUSTERED,
            after={"cluster": cluster.pk, "complainants": count},
            detail=_("%(count)s distinct complainants within 30 days.") % {"count": count},
        )
    if floor == Severity.ORDINARY:
        return cluster
    detail = _("Group-complaint warning: %(count)s distinct complainants within 30 days.") % {"count": count}
    for member in (
        members.filter(severity__lt=floor).exclude(status=Complaint.Status.CLOSED).select_for_update().select_related("project")
    ):
        changed = _change_severity(member, new=floor, actor=None, kind=ComplaintEvent.Kind.SEVERITY_RAISED, detail=detail)
        member.save(update_fields=[*changed, "updated_at"])
    if floor > cluster.notified_severity:
        managers = (
            User.objects.filter(is_active=True)
            .filter(Q(role=Role.CR_MANAGER, projects=complaint.project) | Q(role=Role.GROUP_CENTRE))
            .distinct()
        )
        notify(
            recipients=managers,
            kind="complaint_cluster",
            title=_("Group-complaint warning at %(project)s: %(count)s complainants (%(severity)s)")
            % {"project": complaint.project.name, "count": count, "severity": Severity(floor).label},
            body=complaint.title,
            url=reverse("complaints:cluster", args=[cluster.pk]),
            dedupe_key=f"complaint-cluster:{cluster.pk}:{floor}",
            project=complaint.project,
        )
        cluster.notified_severity = floor
        cluster.save(update_fields=["notified_severity"])
    return cluster
