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


class ComplaintOpenTally(models.Model):
    """Open complaints now, as additive counts: the group dashboard's "open", "overdue",
    "escalated", "major" and "hot" figures without reading 300,000 open rows (docs/dashboards.md).

    Append-only deltas written by database triggers (migration 0008) in the same transaction as
    any insert, update or delete of a complaint: +1 for a row's new state, -1 for its old one,
    under the key (project, status, severity, escalated, overdue day). The figures are the SUM of
    the rows: exact at every moment, and concurrent writers never wait on each other (no unique
    key). ``overdue_day`` is the UTC day on which the complaint becomes overdue under the rule of
    ``selectors.overdue_q`` (received: the earlier of its two due times; in progress: its
    resolution due time; on hold: never, NULL); the reader counts days before today as overdue
    and the rows due today live. ``open_tally.compact`` folds the deltas into one row per key and
    every past day into ``PAST_DAY``, so the table stays at a few rows per project.

    Any later migration that makes SQLite rebuild the complaints table drops its triggers: such a
    migration must reinstall them (as 0004_complaint_version does for the daily rollup's); the
    tests compare the tally with the rows after every kind of change.
    """

    id = models.BigAutoField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    status = models.CharField(max_length=20)
    severity = models.PositiveSmallIntegerField()
    escalated = models.BooleanField()
    overdue_day = models.DateField(null=True)
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("open complaint tally")
        verbose_name_plural = _("open complaint tallies")
        indexes = [models.Index(fields=["project", "status"], name="complaint_opentally_project")]
