"""API plumbing that needs rows: the idempotency record."""

from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a creating POST, replayed for the same key from the same client for 24 h."""

    class State(models.TextChoices):
        PENDING = "pending"  # claimed by a request still running
        DONE = "done"  # response stored; later requests replay it

    principal = models.CharField(max_length=80)  # "ApiClient:12" or "User:3"
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key")]

    def __str__(self):
        return f"{self.principal} {self.key}"


class Heartbeat(models.Model):
    """Last time the worker ran the heartbeat task; read by /healthz and the worker test."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"


# --- Dashboards: the balanced scorecard and the stored monthly report -------------------------
# Kept here (crm_site composes the apps) rather than in a feature app: no app depends on them.

from django.utils.translation import gettext_lazy as _  # noqa: E402  (this block is appended)


class ScorecardPerspective(models.TextChoices):
    """The four perspectives of the seed's balanced scorecard (平衡计分卡), in the order shown."""

    CUSTOMER = "customer", _("Customer")
    INTERNAL = "internal", _("Internal process")
    LEARNING = "learning", _("Learning and growth")
    FINANCIAL = "financial", _("Financial")


class ScorecardObjective(models.Model):
    """One objective of one project's scorecard (e.g. 客户满意 under the customer perspective)."""

    project = models.ForeignKey("estates.Project", on_delete=models.CASCADE, related_name="scorecard_objectives")
    perspective = models.CharField(max_length=12, choices=ScorecardPerspective.choices)
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["project", "perspective", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "perspective", "title"], name="scorecard_objective_unique"),
        ]

    def __str__(self):
        return self.title


class ScorecardMeasure(models.Model):
    """A measure of an objective with its target. ``kpi_key`` names a live KPI that fills the actual."""

    class Direction(models.TextChoices):
        AT_LEAST = "gte", _("at least the target")  # higher is better; met when actual >= target
        ABOVE = "gt", _("above the target")  # met only when strictly above (satisfaction > 80 %)
        AT_MOST = "lte", _("at most the target")  # lower is better (cost, days)

    objective = models.ForeignKey(ScorecardObjective, on_delete=models.CASCADE, related_name="measures")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=20, blank=True)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.AT_LEAST)
    kpi_key = models.CharField(max_length=40, blank=True)  # blank: the actual is entered by hand
    weight = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["objective", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "name"], name="scorecard_measure_unique"),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="scorecard_measure_weight_positive"),
        ]

    def __str__(self):
        return self.name


class ScorecardActual(models.Model):
    """The hand-entered actual of a measure for one month (the first day of the month)."""

    measure = models.ForeignKey(ScorecardMeasure, on_delete=models.CASCADE, related_name="actuals")
    month = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey("estates.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measure", "month"], name="scorecard_actual_once_per_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="scorecard_actual_month_start"),
        ]

    def __str__(self):
        return f"{self.measure_id} {self.month:%Y-%m}: {self.value}"


class MonthlyReport(models.Model):
    """The monthly customer-relations report of one project, built once by the worker and stored.

    ``data`` is the frozen dashboard of that month (numbers, not links), so the report reads the
    same next year even after rows change; the Excel file and the printable page render from it.
    """

    project = models.ForeignKey("estates.Project", on_delete=models.CASCADE, related_name="monthly_reports")
    month = models.DateField()  # the first day of the reported month
    data = models.JSONField(default=dict)
    built_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "project"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="monthly_report_once"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="monthly_report_month_start"),
        ]

    def __str__(self):
        return f"{self.project_id} {self.month:%Y-%m}"


class DashboardEvent(models.Model):
    """The audit trail of the scorecard and the monthly reports: who changed what, when, and the
    values before and after (the same shape as the feature apps' timelines). Written by the
    services in ``crm_site.dashboards`` in the transaction of the change; shown on the scorecard."""

    class Kind(models.TextChoices):
        SEEDED = "seeded", _("Standard scorecard added")
        MEASURE_CREATED = "measure_created", _("Measure added")
        MEASURE_UPDATED = "measure_updated", _("Measure changed")
        MEASURE_DELETED = "measure_deleted", _("Measure deleted")
        ACTUAL_RECORDED = "actual_recorded", _("Actual entered")
        ACTUAL_REMOVED = "actual_removed", _("Actual removed")
        REPORT_REQUESTED = "report_requested", _("Monthly report requested")
        REPORT_BUILT = "report_built", _("Monthly report built")

    project = models.ForeignKey("estates.Project", on_delete=models.CASCADE, related_name="dashboard_events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The measure or report it is about; kept as a plain id so the trail outlives a deleted measure.
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)  # its name at the time
    actor = models.ForeignKey("estates.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)  # kept when the user goes
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"), db_index=False)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["project", "-at"], name="dashboard_event_project")]
        verbose_name = _("dashboard event")
        verbose_name_plural = _("dashboard events")

    def __str__(self):
        return f"{self.kind} {self.subject} {self.at:%Y-%m-%d %H:%M}"
