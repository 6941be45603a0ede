"""Risk control (风险预控): checklist templates, project reviews, the risk register, adverse factors
outside the site boundary (红线外不利因素) and the sales-promise register (承诺登记). DOMAIN.md §4, §5."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from estates.models import Department, Milestone, Project, TimeStamped


class ReviewKind(models.TextChoices):
    PRE_OPENING = "pre_opening", _("Pre-opening review")  # 开盘前: marketing risks
    PRE_DELIVERY = "pre_delivery", _("Pre-delivery review")  # 交付前: delivery risks


class ChecklistTemplate(TimeStamped):
    """One version of a checklist. A version that a review uses is frozen; edits make a new version."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReviewKind.choices)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    is_current = models.BooleanField(_("current version"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="risk_template_version_unique"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_current=True), name="risk_template_one_current"),
            models.CheckConstraint(condition=Q(version__gte=1), name="risk_template_version_positive"),
        ]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self):
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    """A control point (控制要点) with its lead and participating departments."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items", verbose_name=_("template"))
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("control point"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    guidance = models.TextField(_("what to check"), blank=True)
    guidance_en = models.TextField(_("what to check (English)"), blank=True)
    lead_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("lead department"))
    participating_departments = models.ManyToManyField(
        Department, blank=True, related_name="+", verbose_name=_("participating departments")
    )

    class Meta:
        ordering = ["template", "order"]
        constraints = [models.UniqueConstraint(fields=["template", "order"], name="risk_item_order_unique")]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self):
        return self.name


class Review(TimeStamped):
    """A review of one project against one template version (a meeting or a site check)."""

    class Method(models.TextChoices):
        MEETING = "meeting", _("Meeting")  # 专题会议
        SITE_CHECK = "site_check", _("Site check")  # 现场检查

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("risk review status", "Open")  # items being answered, risks being worked
        SIGNED_OFF = "signed_off", _("Signed off")  # the general manager accepted the risk table

    TRANSITIONS = {Status.OPEN: {Status.SIGNED_OFF}, Status.SIGNED_OFF: set()}

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="risk_reviews", verbose_name=_("project"))
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("template"))
    kind = models.CharField(_("kind"), max_length=20, choices=ReviewKind.choices)
    scheduled_on = models.DateField(_("scheduled date"))
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, default=Method.MEETING)
    participants = models.TextField(_("participants"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    sign_off_note = models.TextField(_("sign-off note"), blank=True)

    class Meta:
        ordering = ["-scheduled_on", "-pk"]
        indexes = [models.Index(fields=["project", "kind", "status"], name="risk_review_project")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="signed_off") | Q(signed_off_at__isnull=False), name="risk_review_signed_has_time"
            ),
        ]
        verbose_name = _("project review")
        verbose_name_plural = _("project reviews")

    def __str__(self):
        return f"{self.project.code} {self.get_kind_display()} {self.scheduled_on}"


class Answer(models.Model):
    """A review's answer to one checklist item."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Not answered")
        OK = "ok", _("OK")
        FINDING = "finding", _("Finding")  # becomes a risk-register item
        NOT_APPLICABLE = "na", _("Not applicable")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers", verbose_name=_("review"))
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("checklist item"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.PENDING)
    note = models.TextField(_("note"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["review", "item__order"]
        constraints = [models.UniqueConstraint(fields=["review", "item"], name="risk_answer_once_per_item")]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")


class RiskItem(TimeStamped):
    """A row of the risk pre-control table (风险预控表): chased, closed and followed by staff."""

    class Source(models.TextChoices):
        PRODUCT = "product", _("Product")
        MANAGEMENT = "management", _("Management")
        ORGANISATIONAL = "organisational", _("Organisational")
        EXTERNAL = "external", _("External")

    class CustomerView(models.TextChoices):
        MARKETING = "marketing", _("Marketing risk")  # promises wrong or not matching reality
        DELIVERY = "delivery", _("Delivery risk")  # cannot deliver, or a group complaint at handover
        COMPREHENSIVE = "comprehensive", _("Comprehensive risk")  # anything else likely to cause complaints

    class Level(models.TextChoices):
        HIGH = "high", _("High")  # blocks the general manager's sign-off while open
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("risk item status", "Open")  # recorded, nobody working it yet
        IN_PROGRESS = "in_progress", pgettext_lazy("risk item status", "In progress")  # the owner carries out the measures (盯)
        CLOSED = "closed", pgettext_lazy("risk item status", "Closed")  # done, with a closing note (关)

    TRANSITIONS = {
        Status.OPEN: {Status.IN_PROGRESS, Status.CLOSED},
        Status.IN_PROGRESS: {Status.CLOSED},
        Status.CLOSED: {Status.IN_PROGRESS},  # reopened when following up finds it is not done (跟)
    }
    ACTIVE = (Status.OPEN, Status.IN_PROGRESS)
    LEVEL_RANK = {Level.HIGH: 0, Level.MEDIUM: 1, Level.LOW: 2}

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="risk_items", verbose_name=_("project"))
    review = models.ForeignKey(Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_items")
    answer = models.OneToOneField(Answer, on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_item")
    origin = models.CharField(_("origin"), max_length=40, default="manual")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("risk source"), max_length=20, choices=Source.choices)
    customer_view = models.CharField(_("customer view"), max_length=20, choices=CustomerView.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    measures = models.TextField(_("measures"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risk_items",
        verbose_name=_("owner"),
    )
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    closing_note = models.TextField(_("closing note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_by_label = models.CharField(max_length=150, blank=True)
    # Optimistic locking (docs/trust.md, item 16): bumped by every save; the edit form and If-Match carry it.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["project", "status", "level"], name="risk_item_project_status"),
            models.Index(fields=["status", "deadline"], name="risk_item_due"),
            models.Index(fields=["owner", "status"], name="risk_item_owner"),
            models.Index(fields=["project", "source"], name="risk_item_project_source"),
            models.Index(fields=["project", "customer_view"], name="risk_item_project_view"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & ~Q(closing_note="")),
                name="risk_item_closed_has_note",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="risk_item_title_present"),
        ]
        verbose_name = _("risk item")
        verbose_name_plural = _("risk items")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Every update bumps ``version`` (the services save rows they hold locked)."""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not list(update_fields):
            return super().save(*args, **kwargs)
        if self.pk is not None and not self._state.adding:
            self.version = (self.version or 0) + 1
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "version"]
        return super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class AdverseFactorType(models.Model):
    """The seed's catalogue of adverse factors outside the site boundary that must be disclosed."""

    class Category(models.TextChoices):
        NOISE = "noise", _("Noise")  # 噪音
        ODOUR = "odour", _("Odour")  # 恶臭
        POLLUTION = "pollution", _("Pollution")  # 污染
        BELIEF = "belief", _("Belief")  # 信仰
        PLANNED_CHANGE = "planned_change", _("Planned change")  # 环境变迁(规划中)
        TABOO = "taboo", _("Taboo")  # 禁忌

    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("adverse factor type")
        verbose_name_plural = _("adverse factor types")

    def __str__(self):
        return self.name


class AdverseFactor(TimeStamped):
    """One adverse factor near a project. A project cannot open sales while one is undisclosed."""

    class Direction(models.TextChoices):
        N = "N", _("North")
        NE = "NE", _("North-east")
        E = "E", _("East")
        SE = "SE", _("South-east")
        S = "S", _("South")
        SW = "SW", _("South-west")
        W = "W", _("West")
        NW = "NW", _("North-west")

    class Status(models.TextChoices):
        UNDISCLOSED = "undisclosed", _("Undisclosed")
        DISCLOSED = "disclosed", _("Disclosed")  # at least one disclosure place with evidence

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="adverse_factors", verbose_name=_("project"))
    factor_type = models.ForeignKey(AdverseFactorType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"))
    description = models.TextField(_("description"))
    distance_m = models.PositiveIntegerField(_("distance (m)"))
    direction = models.CharField(_("direction"), max_length=2, choices=Direction.choices)
    info_source = models.CharField(_("source of the information"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNDISCLOSED)
    disclosed_at = models.DateTimeField(_("disclosed at"), null=True, blank=True)

    class Meta:
        ordering = ["project", "distance_m", "pk"]
        indexes = [models.Index(fields=["project", "status"], name="risk_factor_project_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="disclosed") | Q(disclosed_at__isnull=False), name="risk_factor_disclosed_has_time"
            ),
        ]
        verbose_name = _("adverse factor")
        verbose_name_plural = _("adverse factors")

    def __str__(self):
        return f"{self.factor_type} {self.distance_m} m {self.direction}"


class Disclosure(models.Model):
    """Where and how a factor was disclosed to buyers, with evidence."""

    class Place(models.TextChoices):
        SALES_MATERIALS = "sales_materials", _("Sales materials")  # 销售资料/楼书
        CONTRACT_ANNEX = "contract_annex", _("Contract annex")  # 合同附件
        SHOWROOM_BOARD = "showroom_board", _("Show-room board")  # 售楼处公示板

    factor = models.ForeignKey(AdverseFactor, on_delete=models.CASCADE, related_name="disclosures", verbose_name=_("factor"))
    place = models.CharField(_("place"), max_length=20, choices=Place.choices)
    evidence = models.TextField(_("evidence"))
    disclosed_on = models.DateField(_("disclosed on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["factor", "place"]
        constraints = [
            models.UniqueConstraint(fields=["factor", "place"], name="risk_disclosure_once_per_place"),
            models.CheckConstraint(condition=~Q(evidence=""), name="risk_disclosure_has_evidence"),
        ]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")


class SalesPromise(TimeStamped):
    """A promise made to buyers, verified before delivery; changed only with written confirmation."""

    class Source(models.TextChoices):
        ADVERTISEMENT = "advertisement", _("Advertisement")
        BROCHURE = "brochure", _("Brochure")
        SHOW_UNIT = "show_unit", _("Show unit")
        CONTRACT = "contract", _("Contract")
        SALES_STAFF = "sales_staff", _("Sales staff (verbal)")

    class Kano(models.TextChoices):
        BASIC = "basic", _("Basic")  # expected; missing it causes strong dissatisfaction
        PERFORMANCE = "performance", _("Performance")  # the more, the better
        EXCITEMENT = "excitement", _("Excitement")  # unexpected delight

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered, not verified")
        AT_RISK = "at_risk", _("At risk")
        KEPT = "kept", _("Kept")
        CHANGED = "changed", _("Changed with written confirmation")
        BROKEN = "broken", _("Broken")

    # Verification may move a promise between these; CHANGED is reached only by a confirmed change.
    TRANSITIONS = {
        Status.REGISTERED: {Status.AT_RISK, Status.KEPT, Status.BROKEN, Status.CHANGED},
        Status.AT_RISK: {Status.KEPT, Status.BROKEN, Status.CHANGED},
        Status.KEPT: {Status.AT_RISK, Status.BROKEN, Status.CHANGED},
        Status.BROKEN: {Status.AT_RISK, Status.KEPT, Status.CHANGED},
        Status.CHANGED: {Status.AT_RISK, Status.KEPT, Status.BROKEN, Status.CHANGED},
    }
    # What the general manager's pre-delivery sign-off accepts.
    SETTLED = (Status.KEPT, Status.CHANGED)

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="sales_promises", verbose_name=_("project"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    wording = models.TextField(_("wording"))
    kano = models.CharField(_("KANO class"), max_length=20, choices=Kano.choices)
    due_milestone = models.CharField(_("due at milestone"), max_length=30, choices=Milestone.Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    verification_note = models.TextField(_("verification note"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        ordering = ["project", "due_milestone", "pk"]
        indexes = [models.Index(fields=["project", "due_milestone", "status"], name="risk_promise_project_due")]
        constraints = [models.CheckConstraint(condition=~Q(wording=""), name="risk_promise_wording_present")]
        verbose_name = _("sales promise")
        verbose_name_plural = _("sales promises")

    def __str__(self):
        return self.wording[:60]


class PromiseChange(TimeStamped):
    """A change of a promise: proposal → negotiation → written confirmation (or rejection)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        NEGOTIATING = "negotiating", _("Negotiating")
        CONFIRMED = "confirmed", _("Confirmed in writing")
        REJECTED = "rejected", _("Rejected")

    TRANSITIONS = {
        Status.PROPOSED: {Status.NEGOTIATING, Status.REJECTED},
        Status.NEGOTIATING: {Status.CONFIRMED, Status.REJECTED},
        Status.CONFIRMED: set(),
        Status.REJECTED: set(),
    }

    promise = models.ForeignKey(SalesPromise, on_delete=models.CASCADE, related_name="changes", verbose_name=_("promise"))
    old_wording = models.TextField(_("old wording"))
    new_wording = models.TextField(_("new wording"))
    reason = models.TextField(_("reason"))
    impact = models.TextField(_("impact"), blank=True)
    negotiation_note = models.TextField(_("negotiation note"), blank=True)
    confirmation_document = models.CharField(_("written confirmation"), max_length=200, blank=True)
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)

    class Meta:
        ordering = ["promise", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="confirmed") | (~Q(confirmation_document="") & Q(confirmed_on__isnull=False)),
                name="risk_change_confirmed_in_writing",
            ),
            # One change under way per promise at a time.
            models.UniqueConstraint(
                fields=["promise"], condition=Q(status__in=["proposed", "negotiating"]), name="risk_change_one_open"
            ),
        ]
        verbose_name = _("promise change")
        verbose_name_plural = _("promise changes")


EVENT_LABELS = {
    "created": _("Created"),
    "answered": _("Answered"),
    "signed_off": _("Signed off"),
    "opened": _("Opened"),
    "updated": _("Updated"),
    "started": _("Work started"),
    "closed": _("Closed"),
    "reopened": _("Reopened"),
    "follow_up": _("Followed up"),
    "escalated": _("Escalated to the owner's head"),
    "recorded": _("Recorded"),
    "disclosed": _("Disclosed"),
    "disclosure_updated": _("Disclosure updated"),
    "status": _("Status changed"),
    "registered": _("Registered"),
    "verified": _("Verified"),
    "change_proposed": _("Change proposed"),
    "change_negotiating": _("Change negotiated"),
    "change_confirmed": _("Change confirmed in writing"),
    "change_rejected": _("Change rejected"),
    "changed": _("Promise changed"),
    "new_version": _("New version"),
    "item_updated": _("Item edited"),
}


class Event(models.Model):
    """The timeline of every risk record: who did what, when, and what changed."""

    class Subject(models.TextChoices):
        TEMPLATE = "template", _("Checklist template")
        REVIEW = "review", _("Review")
        ITEM = "item", _("Risk item")
        FACTOR = "factor", _("Adverse factor")
        PROMISE = "promise", _("Sales promise")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=20, choices=Subject.choices)
    subject_id = models.PositiveBigIntegerField()
    kind = models.CharField(_("kind"), max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["subject", "subject_id", "at"], name="risk_event_subject")]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))

    @property
    def status_change(self) -> str:
        """ "Open → Closed" in the page's language, or "" when the event did not change a status."""
        before, after = self.before.get("status"), self.after.get("status")
        if not (before or after):
            return ""
        enums = {
            self.Subject.ITEM: [RiskItem.Status],
            self.Subject.REVIEW: [Review.Status],
            self.Subject.FACTOR: [AdverseFactor.Status],
            self.Subject.PROMISE: [SalesPromise.Status, PromiseChange.Status],
        }.get(self.subject, [])
        labels = {}
        for enum in reversed(enums):
            labels.update({c.value: str(c.label) for c in enum})
        if "change" in self.before or "change" in self.after:
            labels.update({c.value: str(c.label) for c in PromiseChange.Status})
        return f"{labels.get(before, before or '')} → {labels.get(after, after or '')}"
