"""The portfolio every other app hangs off: projects, units, customers, contracts, staff, API clients."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class LifecycleStage(models.TextChoices):
    """The seven stages of a housing project, seen from the staff side (DOMAIN.md §1)."""

    INVESTMENT = "investment", _("Investment")
    DESIGN = "design", _("Design")
    CONSTRUCTION = "construction", _("Construction")
    SALES = "sales", _("Sales")
    DELIVERY = "delivery", _("Delivery")
    POST_DELIVERY = "post_delivery", _("Post-delivery")
    RESIDENCE = "residence", _("Residence")


class Role(models.TextChoices):
    CR_STAFF = "cr_staff", _("Customer-relations staff")
    CR_MANAGER = "cr_manager", _("Customer-relations manager")
    PROJECT_MANAGER = "project_manager", _("Project manager")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    GROUP_CENTRE = "group_centre", _("Group customer-relations centre")
    ADMIN = "admin", _("Administrator")


# Roles that see every project without being assigned to it.
GROUP_ROLES = frozenset({Role.GROUP_CENTRE, Role.ADMIN})


class Department(models.Model):
    """A department that owns touchpoints, rectifications and risks (工程部, 设计部, ...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name


class Project(TimeStamped):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=60, db_index=True)
    company = models.CharField(_("city company"), max_length=100, blank=True)
    stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.INVESTMENT, db_index=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return f"{self.name} ({self.code})"


class Milestone(models.Model):
    """A planned and (once reached) actual date of one of a project's milestones."""

    class Kind(models.TextChoices):
        LAND = "land", _("Land acquired")
        DESIGN = "design", _("Design approved")
        CONSTRUCTION_START = "construction_start", _("Construction start")
        SALES_OPENING = "sales_opening", _("Sales opening")
        TOPPING_OUT = "topping_out", _("Topping out")
        HANDOVER = "handover", _("Handover")

    ORDER = [k.value for k in Kind]

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("project"))
    kind = models.CharField(_("milestone"), max_length=30, choices=Kind.choices)
    planned_on = models.DateField(_("planned date"))
    actual_on = models.DateField(_("actual date"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="milestone_unique_per_project")]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return f"{self.project.code} {self.get_kind_display()}"


class Building(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("project"))
    name = models.CharField(_("building"), max_length=40)

    class Meta:
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="building_unique_per_project")]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self):
        return self.name


class Unit(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="units", verbose_name=_("project"))
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="units", verbose_name=_("building"))
    number = models.CharField(_("unit number"), max_length=40)
    unit_type = models.CharField(_("unit type"), max_length=40, blank=True)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="unit_unique_per_project"),
            models.CheckConstraint(condition=models.Q(area_m2__isnull=True) | models.Q(area_m2__gt=0), name="unit_area_positive"),
        ]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return self.number


class Customer(TimeStamped):
    class IncomeBand(models.TextChoices):
        LOW = "low", _("Low income")
        MID = "mid", _("Middle income")
        HIGH = "high", _("High income")

    class AgeBand(models.TextChoices):
        UNDER_30 = "under_30", _("Under 30")
        AGE_30_44 = "30_44", _("30–44")
        AGE_45_59 = "45_59", _("45–59")
        AGE_60_PLUS = "60_plus", _("60 and over")

    external_id = models.CharField(_("external id"), max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    email = models.EmailField(_("email"), blank=True)
    children_ages = models.JSONField(_("children's ages"), default=list, blank=True)
    elderly_living_in = models.BooleanField(_("elderly living in"), default=False)
    income_band = models.CharField(_("income band"), max_length=10, choices=IncomeBand.choices, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    household_size = models.PositiveSmallIntegerField(_("household size"), null=True, blank=True)
    opted_out = models.BooleanField(_("opted out of surveys"), default=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self):
        return self.name


class Contract(TimeStamped):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")  # signed and in force
        CANCELLED = "cancelled", _("Cancelled")  # rescinded; owners get no more surveys

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    # Denormalised from unit.project so that every scoped query is one indexed column.
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("project"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("unit"))
    customers = models.ManyToManyField(Customer, related_name="contracts", verbose_name=_("customers"))
    signed_on = models.DateField(_("signed on"))
    handover_on = models.DateField(_("handover date"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["-signed_on", "pk"]
        indexes = [
            models.Index(fields=["project", "handover_on"], name="contract_project_handover"),
            # The dashboards' portfolio counts and owners (active contracts by project, handover and
            # signing dates, joined to their customers by id) read this index alone (index-only).
            models.Index(
                fields=["project", "status", "handover_on"], include=["signed_on", "id"], name="contract_project_status"
            ),
            # Active contracts by project and signing date: the group page counts them (and those
            # signed in the period) from this index alone. Key columns only, so PostgreSQL
            # deduplicates it (~130 pages for 100,000 contracts against ~610 for the one above).
            models.Index(
                fields=["project", "signed_on"], condition=models.Q(status="active"), name="contract_active_project_signed"
            ),
        ]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self):
        return self.external_id


class User(AbstractUser):
    """A member of staff. Group roles see every project; everyone else sees `projects`."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CR_STAFF)
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff", verbose_name=_("department")
    )
    projects = models.ManyToManyField(Project, blank=True, related_name="staff", verbose_name=_("projects"))
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    @property
    def sees_all_projects(self) -> bool:
        return self.role in GROUP_ROLES or self.is_superuser

    @property
    def display_name(self) -> str:
        # Chinese names are family name first with no space (王芳); others "First Last".
        first, last = self.first_name.strip(), self.last_name.strip()
        if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
            return f"{last}{first}"
        return self.get_full_name() or self.username


class ApiClient(TimeStamped):
    """A sales system or call centre. Its key is stored only as a SHA-256 hash.

    It stands in for ``request.user`` on API calls, so it answers the attributes DRF and the
    access selectors ask of a principal.
    """

    KEY_PREFIX_LENGTH = 8

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_prefix = models.CharField(_("key prefix"), max_length=16, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    # Project codes, not foreign keys: a client is given its scope before the projects exist.
    project_codes = models.JSONField(_("project codes"), default=list)
    sees_personal_data = models.BooleanField(_("sees personal data unmasked"), default=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    sees_all_projects = False
    role = None

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self):
        return self.name

    @property
    def username(self) -> str:
        return f"api:{self.name}"

    display_name = username

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def is_active(self) -> bool:
        return self.is_usable


class Notification(models.Model):
    """An in-app message to one member of staff, mirrored by email after commit.

    ``dedupe_key`` makes "notify once" a database fact: the same event notifies a user once,
    however often a task or a sweep repeats it.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient"))
    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once_per_key")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.title


# --- Trust: security events, login throttling, transactional outbox, signed webhooks -----------
# (docs/trust.md lists each guarantee and the test that proves it.)


class SecurityEvent(models.Model):
    """One denied request: who, what, when, and the status it got. Never personal data.

    Written by ``crm_site.security_middleware`` for every 401/403/404/429 (and the login redirect
    of an anonymous caller) and by the login throttle; read-only in the admin.
    """

    class Kind(models.TextChoices):
        UNAUTHENTICATED = "unauthenticated", _("Not logged in")  # 401, or a page redirecting to login
        FORBIDDEN = "forbidden", _("Forbidden")  # 403
        NOT_FOUND = "not_found", _("Not found or out of scope")  # 404 on a route that matched
        THROTTLED = "throttled", _("Rate limited")  # 429 from the API throttles
        LOGIN_LOCKED = "login_locked", _("Login locked")  # refused by the login throttle

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor_type = models.CharField(_("actor type"), max_length=20)  # "user", "api_client" or "anonymous"
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=160, blank=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)  # without the query string
    route = models.CharField(_("route"), max_length=200, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status"))

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["actor_type", "actor_id", "-at"], name="securityevent_actor")]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self):
        return f"{self.status_code} {self.method} {self.path}"


class LoginThrottle(models.Model):
    """Failed logins of one username from one address in the current window.

    ``failures`` is claimed with a conditional UPDATE before the password is checked, so that 50
    parallel attempts count exactly ``LOGIN_THROTTLE_FAILURES`` before the lock (estates.security).
    """

    username = models.CharField(_("username"), max_length=150)
    ip_address = models.CharField(_("address"), max_length=45)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    window_started_at = models.DateTimeField(_("window started at"), default=timezone.now)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["username", "ip_address"], name="loginthrottle_unique_key")]
        indexes = [models.Index(fields=["window_started_at"], name="loginthrottle_window")]
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self):
        return f"{self.username}@{self.ip_address}"


class OutboxEvent(models.Model):
    """A business event written in the same transaction as the change it describes.

    ``estates.outbox.emit`` creates it; the drain task turns it into one ``WebhookDelivery`` per
    matching subscription and sets ``dispatched_at``. A broker outage delays, never loses it.
    """

    event = models.CharField(_("event"), max_length=60)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", verbose_name=_("project"))
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["id"], condition=models.Q(dispatched_at__isnull=True), name="outbox_pending")]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self):
        return f"{self.event} #{self.pk}"


class WebhookSubscription(TimeStamped):
    """An API client's endpoint for a set of events in its project scope."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="webhook_subscriptions", verbose_name=_("API client")
    )
    url = models.URLField(_("URL"), max_length=500)
    # Shared with the receiver, who needs it in clear to check signatures; shown once, never listed.
    secret = models.CharField(_("secret"), max_length=128)
    event_types = models.JSONField(_("event types"), default=list)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["client", "pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return f"{self.client} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one subscription: exactly one row (unique), retried until it succeeds or expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # waiting for its first or next attempt
        SUCCEEDED = "succeeded", _("Delivered")  # the receiver answered 2xx
        FAILED = "failed", _("Gave up")  # still failing when its retry window ended

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    # X-Touchstone-Delivery: the same on every attempt and on a replay, so the receiver can dedupe.
    delivery_id = models.UUIDField(_("delivery id"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    give_up_at = models.DateTimeField(_("give up at"))
    last_status_code = models.PositiveSmallIntegerField(_("last status"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="webhookdelivery_once_per_subscription"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhookdelivery_due"),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return str(self.delivery_id)


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what the receiver answered, or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("delivery"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["delivery", "at", "pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self):
        return f"{self.delivery_id} {self.status_code or self.error}"
