"""Complaints (客户投诉, DOMAIN.md §2): the complaint, its timeline, SLA policies and calendars,
the escalation ladder, group-complaint clusters, follow-up calls, cases and weekly reports.

Time rules are stored as indexed timestamps (``first_response_due``, ``resolution_due``,
``hot_at``, ``major_at``) so that the sweep asks partial indexes for what is due instead of
scanning open complaints.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estates.models import Building, Customer, Department, Project, Role, TimeStamped, Unit

MAX_COMPLAINANTS = 100_000
TITLE_MAX = 200
DESCRIPTION_MAX = 5000


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    HOTLINE = "hotline", _("Hotline")
    INFO_SYSTEM = "info_system", _("Customer-information system")
    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Letter")
    MEDIA = "media", _("Media")


class Category(models.TextChoices):
    CONSTRUCTION_QUALITY = "construction_quality", _("Construction quality")
    PLANNING_DESIGN = "planning_design", _("Planning & design")
    SALES = "sales", _("Sales management")
    PROPERTY = "property", _("Property management")
    SERVICE = "service", _("Customer service")
    OTHER = "other", _("Other")


class Severity(models.IntegerChoices):
    """Stored as a rank so that "only ever rises" is ``max()`` and ordering uses an index.

    The API speaks the codes in ``SEVERITY_CODES``.
    """

    ORDINARY = 0, _("Ordinary")
    IMPORTANT = 1, _("Important")
    HOT = 2, _("Hot")
    MAJOR = 3, _("Major")


SEVERITY_CODES = {Severity.ORDINARY: "ordinary", Severity.IMPORTANT: "important", Severity.HOT: "hot", Severity.MAJOR: "major"}
SEVERITY_BY_CODE = {code: int(value) for value, code in SEVERITY_CODES.items()}


class Motive(models.TextChoices):
    """The complainant's motive (客户投诉心态), from the seed."""

    RESPECT = "respect", _("Respect")
    COMPENSATION = "compensation", _("Compensation")
    VENTING = "venting", _("Venting")
    EVADING = "evading", _("Evading own responsibility")
    HOSTILITY = "hostility", _("Hostility")
    MIXED = "mixed", _("Mixed")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")  # filed, nobody has answered the customer yet
    IN_PROGRESS = "in_progress", _("In progress")  # answered; being worked; clocks run
    ON_HOLD = "on_hold", _("On hold")  # waiting on the customer or a third party; clocks stop
    RESOLVED = "resolved", _("Resolved")  # handled; waiting for the follow-up call and closure
    CLOSED = "closed", _("Closed")  # follow-up call recorded; done unless reopened


STATUS_VALUES = [s.value for s in ComplaintStatus]
CHANNEL_VALUES = [c.value for c in Channel]
CATEGORY_VALUES = [c.value for c in Category]


class Complaint(TimeStamped):
    Status = ComplaintStatus

    # from-status -> statuses a service may move it to (estates.workflow.require_transition).
    TRANSITIONS = {
        Status.RECEIVED: {Status.IN_PROGRESS},
        Status.IN_PROGRESS: {Status.ON_HOLD, Status.RESOLVED},
        Status.ON_HOLD: {Status.IN_PROGRESS},
        Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
        Status.CLOSED: {Status.IN_PROGRESS},
    }
    OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS, Status.ON_HOLD)
    # Statuses in which the clocks run (on hold they stop; resolved and closed are done).
    RUNNING_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS)

    reference = models.CharField(_("reference"), max_length=32, unique=True, null=True, blank=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("project"))
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("unit")
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("building")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("customer")
    )
    complainants = models.ManyToManyField(
        Customer, blank=True, related_name="joint_complaints", verbose_name=_("other complainants")
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # Who complained, for counting distinct complainants in a cluster: c:<customer>, p:<phone> or n:<name>.
    complainant_key = models.CharField(max_length=120, blank=True)
    complainant_count = models.PositiveIntegerField(
        _("number of complainants"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_COMPLAINANTS)]
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.ORDINARY)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        verbose_name=_("assignee"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("responsible department"),
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    lawsuit_filed = models.BooleanField(_("lawsuit filed"), default=False)
    media_exposed = models.BooleanField(_("exposed by media"), default=False)
    legal_or_media_risk = models.BooleanField(_("may lead to lawsuit or media exposure"), default=False)
    needs_outside_help = models.BooleanField(_("needs consultants or another company"), default=False)
    motive = models.CharField(_("complainant's motive"), max_length=20, choices=Motive.choices, blank=True)
    repeat_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="repeats", verbose_name=_("re-complaint of")
    )
    compensation = models.DecimalField(_("compensation (yuan)"), max_digits=12, decimal_places=2, default=0)
    cluster = models.ForeignKey("GroupCluster", on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    policy = models.ForeignKey("SlaPolicy", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    occurred_at = models.DateTimeField(_("occurred at"))
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    revisit_due = models.DateTimeField(_("revisit due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # When the age rules (a week / a month unresolved through our fault) fire; hold time excluded.
    hot_at = models.DateTimeField(_("becomes hot at"), null=True, blank=True)
    major_at = models.DateTimeField(_("becomes major at"), null=True, blank=True)
    held_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    held_seconds = models.PositiveIntegerField(_("seconds on hold"), default=0)
    # Set once the sweep has escalated a breach, so that the partial indexes stop offering the row.
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Optimistic locking (docs/trust.md, item 16): bumped by every save of a complaint (the services
    # save locked rows only) and by the sweep's bulk writes; forms and If-Match carry the version seen.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=Q(complainant_count__gte=1) & Q(complainant_count__lte=MAX_COMPLAINANTS),
                name="complaint_complainant_count_range",
            ),
            models.CheckConstraint(condition=Q(severity__lte=Severity.MAJOR), name="complaint_severity_valid"),
            models.CheckConstraint(condition=Q(status__in=STATUS_VALUES), name="complaint_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=CHANNEL_VALUES), name="complaint_channel_valid"),
            models.CheckConstraint(condition=Q(category__in=CATEGORY_VALUES), name="complaint_category_valid"),
            models.CheckConstraint(condition=Q(compensation__gte=0), name="complaint_compensation_non_negative"),
            models.CheckConstraint(condition=~Q(title=""), name="complaint_title_not_empty"),
        ]
        indexes = [
            # The inbox: newest first within the actor's projects, and its common filters.
            models.Index(fields=["project", "-created_at"], name="complaint_project_created"),
            models.Index(fields=["project", "status", "-created_at"], name="complaint_project_status"),
            models.Index(fields=["project", "severity"], name="complaint_project_severity"),
            models.Index(fields=["project", "category", "-created_at"], name="complaint_project_category"),
            models.Index(fields=["project", "channel"], name="complaint_project_channel"),
            models.Index(fields=["assignee", "status"], name="complaint_assignee_status"),
            models.Index(fields=["-created_at"], name="complaint_created"),
            models.Index(fields=["resolution_due"], name="complaint_resolution_due"),
            models.Index(fields=["customer"], name="complaint_customer"),
            # KPIs: complaints resolved in a period, per project (on-time and revisit rates).
            models.Index(
                fields=["project", "resolved_at"], name="complaint_project_resolved", condition=Q(resolved_at__isnull=False)
            ),
            models.Index(fields=["complainant_key"], name="complaint_complainant_key"),
            # Dashboards: open complaints now per project (index-only: every column they count), and
            # the longest past due per (project, status) in resolution-due order.
            models.Index(
                fields=["project", "status", "resolution_due"],
                name="complaint_open_counts",
                include=["severity", "escalation_level", "first_response_due", "id"],
                condition=Q(status__in=["received", "in_progress", "on_hold"]),
            ),
            # The sweep's four questions, each a partial index holding only rows that can still breach.
            models.Index(
                fields=["first_response_due"],
                name="complaint_sweep_first_response",
                condition=Q(status="received", first_response_breached=False),
            ),
            models.Index(
                fields=["resolution_due"],
                name="complaint_sweep_resolution",
                condition=Q(status__in=["received", "in_progress"], resolution_breached=False),
            ),
            models.Index(
                fields=["hot_at"], name="complaint_sweep_hot", condition=Q(status__in=["received", "in_progress"], severity__lt=2)
            ),
            models.Index(
                fields=["major_at"],
                name="complaint_sweep_major",
                condition=Q(status__in=["received", "in_progress"], severity__lt=3),
            ),
            # The inbox over open complaints (open=yes, a status, the tier counts and the overdue
            # count): a partial covering index, so the counts are index-only scans of the open rows
            # (about 30 % of the table) instead of heap visits. PostgreSQL only uses ``include``.
            models.Index(
                fields=["project", "status", "severity"],
                include=["first_response_due", "resolution_due", "escalation_level", "created_at", "id"],
                condition=Q(status__in=["received", "in_progress", "on_hold"]),
                name="complaint_open_inbox",
            ),
            # The open tally's live count of what fell due today (complaints/open_tally.py): received
            # complaints in first-response-due order per project, so "due between midnight and now"
            # is one short range per project instead of every received row.
            models.Index(
                fields=["project", "first_response_due"],
                include=["resolution_due", "severity", "escalation_level"],
                condition=Q(status="received"),
                name="complaint_open_first_response",
            ),
            # The inbox's escalated=yes (the dashboards' "escalated" figure): newest first.
            models.Index(
                fields=["project", "-created_at"], condition=Q(escalation_level__gt=0), name="complaint_project_escalated"
            ),
        ]

    def __str__(self):
        return f"{self.reference or self.pk} {self.title}"

    def save(self, *args, **kwargs):
        """Every update bumps ``version``. Callers save rows they hold locked (``services.common._lock``),
        so the in-memory version is the row's and the increment cannot be lost."""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = list(update_fields)
            if not update_fields:
                return super().save(*args, **kwargs)  # Django's no-op: nothing written, nothing bumped
        if self.pk is not None and not self._state.adding:
            self.version = (self.version or 0) + 1
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "version"]
        return super().save(*args, **kwargs)

    @property
    def severity_code(self) -> str:
        return SEVERITY_CODES[Severity(self.severity)]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ComplaintEvent(models.Model):
    """One line of a complaint's timeline: who did what, when, with the values before and after."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Filed")
        RESPONDED = "responded", _("Responded")
        ASSIGNED = "assigned", _("Assigned")
        HELD = "held", _("Put on hold")
        RESUMED = "resumed", _("Resumed")
        RESOLVED = "resolved", _("Resolved")
        REVISITED = "revisited", _("Follow-up call")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated")
        SEVERITY_RAISED = "severity_raised", _("Severity raised")
        SEVERITY_SET = "severity_set", _("Severity set by hand")
        DUE_RECOMPUTED = "due_recomputed", _("Due times recomputed")
        CLUSTERED = "clustered", _("Joined a group-complaint cluster")
        AUTHORITY_EXCEEDED = "authority_exceeded", _("Beyond the handler's authority")
        CASE_WRITTEN = "case_written", _("Case written")
        UPDATED = "updated", _("Updated")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("complaint"))
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # "api:<client>", "system" or the staff member's name at the time; kept when the user goes.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_event_timeline")]
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")

    def __str__(self):
        return f"{self.complaint_id} {self.kind}"


class WorkCalendar(models.Model):
    """Working time: several intervals per weekday, holidays and make-up working days (调休)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    # [["09:00", "12:00"], ["13:30", "18:00"]]: the same intervals on every working day.
    intervals = models.JSONField(_("working intervals"), default=list)
    # ISO weekdays 1 (Monday) .. 7 (Sunday) that are working days unless a holiday.
    weekdays = models.JSONField(_("working weekdays"), default=list)
    is_default = models.BooleanField(_("default calendar"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default")]
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self):
        return self.name


class CalendarDay(models.Model):
    """An exception to a calendar's weekly pattern: a public holiday or a make-up working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"


class SlaPolicy(models.Model):
    """Targets for one channel and severity. Working-hour policies count on ``calendar``."""

    class Basis(models.TextChoices):
        CLOCK = "clock", _("Clock hours")
        WORKING = "working", _("Working hours")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    first_response_hours = models.DecimalField(_("first response (hours)"), max_digits=7, decimal_places=2)
    resolution_hours = models.DecimalField(_("resolution (hours)"), max_digits=7, decimal_places=2)
    revisit_hours = models.DecimalField(_("follow-up call after resolution (hours)"), max_digits=7, decimal_places=2)
    basis = models.CharField(_("counted in"), max_length=10, choices=Basis.choices, default=Basis.CLOCK)
    calendar = models.ForeignKey(WorkCalendar, on_delete=models.PROTECT, null=True, blank=True, related_name="policies")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["channel", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "severity"], name="sla_policy_unique"),
            models.CheckConstraint(
                condition=Q(first_response_hours__gt=0) & Q(resolution_hours__gt=0) & Q(revisit_hours__gt=0),
                name="sla_policy_positive",
            ),
            models.CheckConstraint(
                condition=Q(basis="clock") | Q(calendar__isnull=False), name="sla_policy_working_needs_calendar"
            ),
        ]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return f"{self.get_channel_display()} / {self.get_severity_display()}"


class EscalationLevel(models.Model):
    """A rung of the ladder: who is told when a complaint reaches it (level 0 is the handler)."""

    class Scope(models.TextChoices):
        HANDLER = "handler", _("The assignee")
        PROJECT = "project", _("Staff of the project with the role")
        CITY = "city", _("Staff of any project in the city with the role")
        GROUP = "group", _("Everyone with the role")

    level = models.PositiveSmallIntegerField(_("level"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    notify_role = models.CharField(_("role notified"), max_length=20, choices=Role.choices, blank=True)
    scope = models.CharField(_("who"), max_length=10, choices=Scope.choices)

    class Meta:
        ordering = ["level"]
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")

    def __str__(self):
        return f"{self.level} {self.name}"


class AuthorityLimit(models.Model):
    """What a handler role may settle alone (避免升级): beyond it the complaint goes up the ladder."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, unique=True)
    max_compensation = models.DecimalField(_("largest compensation (yuan)"), max_digits=12, decimal_places=2)
    max_close_severity = models.PositiveSmallIntegerField(_("highest severity it may close"), choices=Severity.choices)
    may_set_severity = models.BooleanField(_("may set severity by hand"), default=False)

    class Meta:
        ordering = ["role"]
        verbose_name = _("authority limit")
        verbose_name_plural = _("authority limits")

    def __str__(self):
        return self.get_role_display()


class Escalation(models.Model):
    """A complaint reaching a level of the ladder; exactly one per (complaint, level)."""

    class Reason(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response overdue")
        RESOLUTION = "resolution", _("Resolution overdue")
        HOT_AGE = "hot_age", _("Unresolved a week")
        MAJOR_AGE = "major_age", _("Unresolved a month")
        MANUAL = "manual", _("Escalated by hand")
        AUTHORITY = "authority", _("Beyond the handler's authority")
        CLUSTER = "cluster", _("Group-complaint warning")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("level"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["complaint", "level"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "level"], name="escalation_once_per_level"),
            models.CheckConstraint(condition=Q(level__gte=1), name="escalation_level_positive"),
        ]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self):
        return f"{self.complaint_id} → {self.level}"


class GroupCluster(models.Model):
    """Complaints of one project and category (and building, or near-identical text) from
    distinct complainants within 30 days (群诉预警)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="complaint_clusters", verbose_name=_("project"))
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("building")
    )
    # The normalised title when no building ties the members together.
    signature = models.CharField(_("text signature"), max_length=200, blank=True)
    complainant_count = models.PositiveIntegerField(_("distinct complainants"), default=0)
    # The highest threshold managers were told about (0 none, 2 hot, 3 major).
    notified_severity = models.PositiveSmallIntegerField(default=0)
    first_at = models.DateTimeField(_("first complaint"))
    last_at = models.DateTimeField(_("latest complaint"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_at"]
        indexes = [models.Index(fields=["project", "category", "-last_at"], name="cluster_lookup")]
        verbose_name = _("group-complaint cluster")
        verbose_name_plural = _("group-complaint clusters")

    def __str__(self):
        return f"{self.project.code} {self.get_category_display()} ({self.complainant_count})"


class Revisit(models.Model):
    """A follow-up call (回访) after handling: was the customer satisfied, and a score of 1..5."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="revisits", verbose_name=_("complaint"))
    satisfied = models.BooleanField(_("satisfied"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    note = models.TextField(_("note"), blank=True, max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="revisit_score_1_5")]
        indexes = [
            models.Index(fields=["complaint", "created_at"], name="revisit_complaint"),
            # KPIs count the follow-up calls of a period (revisit rate, satisfaction).
            models.Index(fields=["created_at"], name="revisit_created"),
        ]
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")

    def __str__(self):
        return f"{self.complaint_id} {self.score}"


class Case(TimeStamped):
    """The write-up every major complaint needs before it closes (案例), shared for learning."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="case", verbose_name=_("complaint"))
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="complaint_cases", verbose_name=_("project"))
    title = models.CharField(_("title"), max_length=200)
    background = models.TextField(_("background"), max_length=5000)
    causes = models.TextField(_("causes"), max_length=5000)
    handling = models.TextField(_("handling"), max_length=5000)
    lessons = models.TextField(_("lessons"), max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "-created_at"], name="case_project_created")]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self):
        return self.title


class WeeklyReport(models.Model):
    """The weekly complaint report (投诉周报), built every Monday for the week before."""

    week_start = models.DateField(_("week starting"), unique=True)
    data = models.JSONField(_("figures"), default=dict)
    created_at = models.DateTimeField(_("built at"), auto_now_add=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-week_start"]
        verbose_name = _("weekly complaint report")
        verbose_name_plural = _("weekly complaint reports")

    def __str__(self):
        return f"{self.week_start}"


from .rollup_models import ComplaintDayCount, ComplaintDayDirty, ComplaintOpenTally  # noqa: E402,F401  (dashboard rollups)
