"""Daily complaint counts kept for the dashboards (see ``complaints/rollups.py`` and docs/dashboards.md).

Imported by ``complaints/models.py`` so that Django registers the models with the app.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from estates.models import Project

COUNT_FIELDS = ("filed", "closed", "resolved", "on_time", "revisited", "revisits", "satisfied")


class ComplaintDayCount(models.Model):
    """One project's complaints on one local day, per category and severity.

    filed / closed: filed that day (closed = of those, closed now); resolved / on_time / revisited:
    resolved that day (on time = both due times met; revisited = has any follow-up call);
    revisits / satisfied: follow-up calls made that day. Exact for every (project, day) without a
    row in ``ComplaintDayDirty``; the dirty ones are counted live by the reader.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    category = models.CharField(max_length=30)
    severity = models.PositiveSmallIntegerField()
    filed = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    revisited = models.PositiveIntegerField(default=0)
    revisits = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily complaint count")
        verbose_name_plural = _("daily complaint counts")
        constraints = [
            models.UniqueConstraint(fields=["project", "day", "category", "severity"], name="complaint_daycount_key"),
        ]


class ComplaintDayDirty(models.Model):
    """A (project, UTC day) whose counts changed since the last refresh.

    Written by database triggers (migration 0004) in the same transaction as the change, so no
    write path can forget it; append-only (no unique key, so concurrent writers never wait on each
    other); the refresh task deletes exactly the rows it has folded into ``ComplaintDayCount``.
    """

    id = models.BigAutoField(primary_key=True)
    project_id = models.IntegerField()
    day = models.DateField()

    class Meta:
        verbose_name = _("changed complaint day")
        verbose_name_plural = _("changed complaint days")
        indexes = [models.Index(fields=["project_id", "day"], name="complaint_daydirty_key")]
