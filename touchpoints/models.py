"""The touchpoint catalogue (客户触点 / 敏感点), per-project checks and the customer contact log.

DOMAIN.md §1: a touchpoint is any point where the company, its product or service exchanges
information with a customer; a sensitivity point is a detail of it that customers are sensitive
to, graded A/B/C. Touchpoints are grouped by the seven lifecycle stages (estates.LifecycleStage).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estates.models import Customer, Department, LifecycleStage, Project, TimeStamped

STAGE_VALUES = [s.value for s in LifecycleStage]


class Grade(models.TextChoices):
    # A: large effect on personal safety, basic living needs, psychological comfort,
    #    purchase intent or purchasing power.
    A = "A", _("A — safety, basic needs, comfort, purchase intent")
    # B: beyond the basics, raises quality of life or purchase intent.
    B = "B", _("B — quality of life beyond the basics")
    # C: all other sensitivity points.
    C = "C", _("C — other")


class Touchpoint(TimeStamped):
    stage = models.CharField(_("lifecycle stage"), max_length=20, choices=LifecycleStage.choices)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="touchpoints", verbose_name=_("owning department")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["stage", "order", "code"]
        constraints = [models.CheckConstraint(condition=Q(stage__in=STAGE_VALUES), name="touchpoint_stage_known")]
        indexes = [models.Index(fields=["stage", "order"], name="touchpoint_stage_order")]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")

    def __str__(self):
        return f"{self.code} {self.name}"


class SensitivityPoint(TimeStamped):
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="points", verbose_name=_("touchpoint"))
    code = models.SlugField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=150)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    standard = models.TextField(_("standard that satisfies it"))
    standard_en = models.TextField(_("standard (English)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["touchpoint__stage", "touchpoint__order", "order", "code"]
        constraints = [models.CheckConstraint(condition=Q(grade__in=["A", "B", "C"]), name="sensitivity_point_grade_known")]
        indexes = [models.Index(fields=["grade"], name="point_grade")]
        verbose_name = _("sensitivity point")
        verbose_name_plural = _("sensitivity points")

    def __str__(self):
        return f"{self.code} {self.name}"


class PointCheck(models.Model):
    """The current answer to one sensitivity point for one project (history is in the events)."""

    class Status(models.TextChoices):
        MET = "met", _("Met")  # the standard is satisfied, with evidence
        ISSUE = "issue", _("Issue")  # not satisfied; an A-point issue opens a follow-up
        NOT_APPLICABLE = "not_applicable", _("Not applicable")  # the point does not apply to this project

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="point_checks", verbose_name=_("project"))
    point = models.ForeignKey(
        SensitivityPoint, on_delete=models.CASCADE, related_name="checks", verbose_name=_("sensitivity point")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    evidence = models.TextField(_("evidence"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("checked by")
    )
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "point"], name="point_check_once_per_project"),
            models.CheckConstraint(condition=Q(status__in=["met", "issue", "not_applicable"]), name="point_check_status_known"),
        ]
        indexes = [models.Index(fields=["project", "status"], name="point_check_project_status")]
        verbose_name = _("point check")
        verbose_name_plural = _("point checks")

    def __str__(self):
        return f"{self.project_id}:{self.point_id}={self.status}"


class FollowUp(TimeStamped):
    """The follow-up of an A-point answered "issue": exactly one per check (OneToOne).

    It opens a risk-register item and remembers its id; ``status`` is this link's own state
    (open until the check is answered again without an issue or the follow-up is closed here).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")  # someone must act on the issue
        CLOSED = "closed", _("Closed")  # resolved; the point may be re-checked as met

    TRANSITIONS = {Status.OPEN: {Status.CLOSED}, Status.CLOSED: {Status.OPEN}}

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="touchpoint_follow_ups", verbose_name=_("project")
    )
    check_record = models.OneToOneField(PointCheck, on_delete=models.CASCADE, related_name="follow_up", verbose_name=_("check"))
    title = models.CharField(_("title"), max_length=250)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The risk-register item opened for this issue (risk.services.risk_item_open); the register
    # then owns the chase/close/follow work. An id, not a foreign key: touchpoints' tables do not
    # depend on risk's (DESIGN.md: the feature apps depend on estates only).
    risk_item_id = models.PositiveBigIntegerField(_("risk register item"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "status"], name="follow_up_project_status")]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return self.title


class CustomerContact(models.Model):
    """One contact with a customer (客户接触记录), by staff or reported by a sales system."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")
        EVENT = "event", _("Event")
        OPEN_DAY = "open_day", _("Site open day")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound (customer to us)")
        OUTBOUND = "outbound", _("Outbound (us to customer)")

    class Sentiment(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer"))
    # The project the contact concerns: the scope column (the customer must hold a contract in it).
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="customer_contacts", verbose_name=_("project"))
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts", verbose_name=_("touchpoint")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    summary = models.TextField(_("summary"))
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("staff")
    )
    source = models.CharField(_("recorded by"), max_length=120)  # a username or "api:<client>"
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["phone", "wechat", "email", "visit", "event", "open_day"]), name="contact_channel_known"
            ),
            models.CheckConstraint(condition=Q(direction__in=["inbound", "outbound"]), name="contact_direction_known"),
            models.CheckConstraint(
                condition=Q(sentiment__in=["positive", "neutral", "negative"]), name="contact_sentiment_known"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="contact_customer_time"),
            models.Index(fields=["project", "-occurred_at"], name="contact_project_time"),
            models.Index(fields=["channel"], name="contact_channel"),
        ]
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")

    def __str__(self):
        return f"{self.customer_id} {self.channel} {self.occurred_at:%Y-%m-%d}"


class TouchpointEvent(models.Model):
    """Audit row for every change in this app: catalogue edits, check answers, follow-ups, contacts."""

    class Kind(models.TextChoices):
        TOUCHPOINT_SAVED = "touchpoint_saved", _("Touchpoint saved")
        POINT_SAVED = "point_saved", _("Sensitivity point saved")
        CHECK_ANSWERED = "check_answered", _("Check answered")
        FOLLOW_UP_OPENED = "follow_up_opened", _("Follow-up opened")
        FOLLOW_UP_CLOSED = "follow_up_closed", _("Follow-up closed")
        CONTACT_LOGGED = "contact_logged", _("Contact logged")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.CharField(_("actor"), max_length=150)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    point = models.ForeignKey(SensitivityPoint, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["project", "at"], name="tp_event_project_at")]
        verbose_name = _("touchpoint event")
        verbose_name_plural = _("touchpoint events")

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


# estates declares the stage labels; they are repeated here so that this app's catalogue carries
# their Chinese names (投资, 设计, …) for its pages even before the foundation's catalogue does.
STAGE_LABELS = {
    LifecycleStage.INVESTMENT: _("Investment"),
    LifecycleStage.DESIGN: _("Design"),
    LifecycleStage.CONSTRUCTION: _("Construction"),
    LifecycleStage.SALES: _("Sales"),
    LifecycleStage.DELIVERY: _("Delivery"),
    LifecycleStage.POST_DELIVERY: _("Post-delivery"),
    LifecycleStage.RESIDENCE: _("Residence"),
}
