"""Satisfaction surveys (DOMAIN.md §5, the Pulte touch points of §1).

A *template* is one immutable version of a questionnaire; changing the wording publishes a new
version, so an answer always points at the exact question that was asked. A *wave* says when a
survey falls due relative to an event (handover + N months, or a recorded trigger such as a
finished-home visit). The daily run turns due (contract customer, wave) pairs into *invitations*
— one each, a unique constraint decides — sends, reminds and expires them. An owner answers once
through a signed link; a low score opens a *follow-up* for staff.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates.models import Contract, Customer, Project, TimeStamped


class Dimension(models.TextChoices):
    """What a question measures; the first five are the complaint professions of DOMAIN.md §2."""

    CONSTRUCTION_QUALITY = "construction_quality", pgettext_lazy("survey", "Construction quality")
    DESIGN = "design", pgettext_lazy("survey", "Design")
    SALES = "sales", pgettext_lazy("survey", "Sales")
    PROPERTY = "property", pgettext_lazy("survey", "Property management")
    SERVICE = "service", pgettext_lazy("survey", "Customer service")
    OVERALL = "overall", pgettext_lazy("survey", "Overall")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class SurveyTemplate(TimeStamped):
    """One version of a questionnaire. Versions of the same ``code`` are never edited once published."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    intro = models.TextField(_("introduction"), blank=True)
    # The newest version of a code is the current one; waves point at it.
    is_current = models.BooleanField(_("current version"), default=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="sat_template_code_version"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name="sat_template_one_current"),
            models.CheckConstraint(condition=Q(version__gte=1), name="sat_template_version_positive"),
        ]
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")

    def __str__(self):
        return f"{self.name} v{self.version}"


class Question(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating 1–5")
        RECOMMEND = "recommend", _("Likelihood to recommend 0–10")
        YES_NO = "yes_no", _("Yes / no")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")

    class Metric(models.TextChoices):
        """Which headline score a question feeds; most feed none but their dimension."""

        NONE = "", _("None")
        OVERALL = "overall", _("Overall satisfaction")
        RECOMMEND = "recommend", _("Recommend")
        REPURCHASE = "repurchase", _("Repurchase intent")

    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions", verbose_name=_("template"))
    key = models.SlugField(_("key"), max_length=40)  # stable across versions: compares waves and versions
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    dimension = models.CharField(_("dimension"), max_length=24, choices=Dimension.choices)
    metric = models.CharField(_("metric"), max_length=12, choices=Metric.choices, blank=True, default="")
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("English question"), max_length=300, blank=True)
    # [{"value": "a", "name": "…", "name_en": "…"}, …] for single and multiple choice.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="sat_question_key_per_template"),
            models.UniqueConstraint(fields=["template", "order"], name="sat_question_order_per_template"),
            models.UniqueConstraint(fields=["template", "metric"], condition=~Q(metric=""), name="sat_question_metric_once"),
        ]
        indexes = [models.Index(fields=["metric"], name="sat_question_metric")]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text


class Wave(TimeStamped):
    """When a survey falls due, relative to an event, and how it is sent and reminded."""

    class Trigger(models.TextChoices):
        HANDOVER = "handover", _("Handover")  # 交付; offset in months
        PRESALE_RECEPTION = "presale_reception", _("Pre-sale reception")  # 售前客户接待
        FRAME_VISIT = "frame_visit", _("Frame-completion visit")  # 框架落成参观
        FINISHED_VISIT = "finished_visit", _("Finished-home visit")  # 成品参观
        COMPLAINT_CLOSED = "complaint_closed", _("Complaint closed")  # 投诉回访

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="waves", verbose_name=_("template"))
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    offset_months = models.PositiveSmallIntegerField(_("offset (months)"), default=0)
    offset_days = models.PositiveSmallIntegerField(_("offset (days)"), default=0)
    window_days = models.PositiveSmallIntegerField(_("answer window (days)"), default=30)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    reminder_interval_days = models.PositiveSmallIntegerField(_("days between reminders"), default=7)
    reminder_max = models.PositiveSmallIntegerField(_("maximum reminders"), default=2)
    cooldown_days = models.PositiveSmallIntegerField(_("cooldown (days)"), default=60)
    # An overall-satisfaction answer at or below this opens a follow-up (1–5 scale).
    low_score_threshold = models.PositiveSmallIntegerField(_("low-score threshold"), default=2)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(window_days__gte=1), name="sat_wave_window_positive"),
            models.CheckConstraint(condition=Q(reminder_interval_days__gte=1), name="sat_wave_reminder_interval_positive"),
            models.CheckConstraint(
                condition=Q(low_score_threshold__gte=1, low_score_threshold__lte=5), name="sat_wave_threshold_range"
            ),
            # Offsets are non-negative in the columns' types too; a trigger wave has no month offset.
            models.CheckConstraint(condition=Q(trigger="handover") | Q(offset_months=0), name="sat_wave_months_only_handover"),
        ]
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")

    def __str__(self):
        return self.name


class Trigger(models.Model):
    """A recorded touch point (a visit, a closed complaint) that event-triggered waves survey."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project"))
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+", verbose_name=_("contract"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=20, choices=Wave.Trigger.choices)
    occurred_on = models.DateField(_("occurred on"))
    # The caller's own key ("complaint:42"), so that recording the same touch point twice is a no-op.
    source_ref = models.CharField(_("source"), max_length=80)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_ref", "customer"], name="sat_trigger_once"),
            models.CheckConstraint(condition=~Q(kind="handover"), name="sat_trigger_not_handover"),
        ]
        indexes = [models.Index(fields=["kind", "occurred_on"], name="sat_trigger_kind_date")]
        verbose_name = _("survey trigger")
        verbose_name_plural = _("survey triggers")

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"


class Run(models.Model):
    """One pass of the daily job: its progress, readable while it runs."""

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("survey", "Running")
        DONE = "done", pgettext_lazy("survey", "Done")
        FAILED = "failed", pgettext_lazy("survey", "Failed")

    run_on = models.DateField(_("run date"), db_index=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    candidates = models.PositiveIntegerField(_("candidates"), default=0)
    created = models.PositiveIntegerField(_("invitations created"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    reminded = models.PositiveIntegerField(_("reminded"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    expired = models.PositiveIntegerField(_("expired"), default=0)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("survey run")
        verbose_name_plural = _("survey runs")

    def __str__(self):
        return f"{self.run_on} {self.get_status_display()}"


class Invitation(TimeStamped):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("survey", "Pending")  # created, waiting to be sent
        SENT = "sent", pgettext_lazy("survey", "Sent")  # delivered; may be reminded until it closes
        RESPONDED = "responded", pgettext_lazy("survey", "Responded")  # the owner answered; final
        EXPIRED = "expired", pgettext_lazy("survey", "Expired")  # the window closed unanswered; final
        SKIPPED = "skipped", pgettext_lazy("survey", "Skipped")  # not eligible when it was to be sent; final
        OPTED_OUT = "opted_out", pgettext_lazy("survey", "Opted out")  # the owner asked for no more surveys; final

    class SkipReason(models.TextChoices):
        NONE = "", _("—")
        CANCELLED = "cancelled", _("Contract cancelled")
        OPTED_OUT = "opted_out", _("Owner opted out")
        COOLDOWN = "cooldown", _("Surveyed recently (cooldown)")
        NO_ADDRESS = "no_address", _("No address for the channel")

    TRANSITIONS = {
        Status.PENDING: {Status.SENT, Status.SKIPPED, Status.EXPIRED, Status.OPTED_OUT},
        Status.SENT: {Status.RESPONDED, Status.EXPIRED, Status.OPTED_OUT, Status.SKIPPED},
        Status.RESPONDED: set(),
        Status.EXPIRED: set(),
        Status.SKIPPED: set(),
        Status.OPTED_OUT: set(),
    }
    OPEN = (Status.PENDING, Status.SENT)

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("wave"))
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("template"))
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project"))
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+", verbose_name=_("contract"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    # "" for handover waves (one per contract customer and wave); the trigger for event waves.
    trigger = models.ForeignKey(Trigger, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    occurrence = models.CharField(max_length=24, default="", blank=True)
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(_("reason"), max_length=12, choices=SkipReason.choices, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    due_on = models.DateField(_("due on"))
    closes_on = models.DateField(_("closes on"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    next_reminder_at = models.DateTimeField(_("next reminder"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-due_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "contract", "customer", "occurrence"], name="sat_invitation_once"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("due_on")), name="sat_invitation_window"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "responded", "expired", "skipped", "opted_out"]),
                name="sat_invitation_status_valid",
            ),
        ]
        indexes = [
            # The daily run's three questions: what to send, what to remind, what to close.
            models.Index(fields=["due_on"], condition=Q(status="pending"), name="sat_inv_to_send"),
            models.Index(fields=["next_reminder_at"], condition=Q(status="sent"), name="sat_inv_to_remind"),
            models.Index(fields=["closes_on"], condition=Q(status__in=["pending", "sent"]), name="sat_inv_to_close"),
            models.Index(fields=["customer", "sent_at"], name="sat_inv_customer_sent"),
            models.Index(fields=["project", "wave", "status"], name="sat_inv_project_wave"),
            models.Index(fields=["run", "id"], name="sat_inv_run"),  # "what did this run create": a range
            # Dashboards: invitations sent per project, and a project's sent in a period (a range).
            models.Index(fields=["project", "sent_at"], condition=Q(sent_at__isnull=False), name="sat_inv_project_sent"),
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.wave} · {self.customer_id}"


class Response(models.Model):
    """One owner's answers to one invitation; the headline scores are stored for aggregation."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response", verbose_name=_("invitation"))
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project"))
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="+", verbose_name=_("wave"))
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("template"))
    submitted_at = models.DateTimeField(_("submitted at"))
    overall = models.PositiveSmallIntegerField(_("overall satisfaction"), null=True, blank=True)  # 1–5
    recommend = models.PositiveSmallIntegerField(_("recommend"), null=True, blank=True)  # 0–10
    repurchase = models.BooleanField(_("would buy again"), null=True, blank=True)
    is_low = models.BooleanField(_("low score"), default=False)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall__isnull=True) | Q(overall__gte=1, overall__lte=5), name="sat_response_overall_range"
            ),
            models.CheckConstraint(
                condition=Q(recommend__isnull=True) | Q(recommend__lte=10), name="sat_response_recommend_range"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "wave", "submitted_at"], name="sat_response_scores"),
            models.Index(fields=["submitted_at"], name="sat_response_period"),
            # The group dashboard's headline scores per project (``satisfaction_project_summary``)
            # read this narrow index alone instead of every response row (index-only).
            models.Index(
                fields=["project"], include=["overall", "recommend", "repurchase", "id"], name="sat_response_project_scores"
            ),
        ]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self):
        return f"{self.wave} {self.submitted_at:%Y-%m-%d}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response"))
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question"))
    value_int = models.SmallIntegerField(_("number"), null=True, blank=True)  # rating, recommend, yes/no as 1/0
    value_text = models.TextField(_("text"), blank=True)
    value_choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["question__order"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="sat_answer_once"),
            models.CheckConstraint(
                condition=Q(value_int__isnull=True) | Q(value_int__gte=0, value_int__lte=10), name="sat_answer_int_range"
            ),
        ]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self):
        return f"{self.question_id}: {self.value_int if self.value_int is not None else self.value_text}"


class FollowUp(TimeStamped):
    """Staff work opened by a low score: call the owner, find out why, close the loop."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("survey", "Open")  # waiting for a call
        CONTACTED = "contacted", pgettext_lazy("survey", "Contacted")  # the owner was reached; work under way
        CLOSED = "closed", pgettext_lazy("survey", "Closed")  # the loop is closed

    TRANSITIONS = {
        Status.OPEN: {Status.CONTACTED, Status.CLOSED},
        Status.CONTACTED: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up", verbose_name=_("response"))
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(_("reason"), max_length=200)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "status"], name="sat_followup_project_status")]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return self.reason


class Event(models.Model):
    """The timeline of invitations and follow-ups: who, when, what, before and after."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("survey", "Created")
        SENT = "sent", pgettext_lazy("survey", "Sent")
        REMINDED = "reminded", pgettext_lazy("survey", "Reminded")
        SKIPPED = "skipped", pgettext_lazy("survey", "Skipped")
        EXPIRED = "expired", pgettext_lazy("survey", "Expired")
        RESPONDED = "responded", pgettext_lazy("survey", "Responded")
        OPTED_OUT = "opted_out", pgettext_lazy("survey", "Opted out")
        FOLLOW_UP_OPENED = "follow_up_opened", pgettext_lazy("survey", "Follow-up opened")
        FOLLOW_UP_CHANGED = "follow_up_changed", pgettext_lazy("survey", "Follow-up updated")
        WAVE_CHANGED = "wave_changed", pgettext_lazy("survey", "Wave changed")
        TEMPLATE_PUBLISHED = "template_published", pgettext_lazy("survey", "Template version published")

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("at"))
    before = models.CharField(_("before"), max_length=20, blank=True)
    after = models.CharField(_("after"), max_length=20, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


TALLY_FIELDS = (
    "sent",
    "responses",
    "overall_sum",
    "overall_n",
    "satisfied",
    "recommend_n",
    "promoters",
    "detractors",
    "repurchase_n",
    "repurchase_yes",
)


class ProjectTally(models.Model):
    """Additive all-time survey counts of one project, for the group dashboard (docs/dashboards.md).

    Append-only deltas written by database triggers (migration 0005) in the same transaction as
    any insert, update or delete of an invitation or a response: a project's figures are the SUM
    of its rows, exact at every moment. No unique key, so concurrent writers never wait on each
    other; ``selectors.tallies_compact`` folds the rows into one per project now and then.
    ``sent`` counts invitations with ``sent_at``; the others count responses (``satisfied``,
    ``promoters``, ``detractors`` with the thresholds of ``rules``).
    """

    id = models.BigAutoField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    sent = models.BigIntegerField(default=0)
    responses = models.BigIntegerField(default=0)
    overall_sum = models.BigIntegerField(default=0)
    overall_n = models.BigIntegerField(default=0)
    satisfied = models.BigIntegerField(default=0)
    recommend_n = models.BigIntegerField(default=0)
    promoters = models.BigIntegerField(default=0)
    detractors = models.BigIntegerField(default=0)
    repurchase_n = models.BigIntegerField(default=0)
    repurchase_yes = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("survey tally")
        verbose_name_plural = _("survey tallies")
