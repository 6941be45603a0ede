"""Defect feedback (缺陷反馈, DOMAIN.md §3): report → review meeting → A/B path → handbook → prevention.

Statuses change only through ``defects.services``, which check ``Defect.TRANSITIONS`` and write a
``DefectEvent`` in the same transaction.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from estates.models import Department, Project, TimeStamped, Unit
from estates.workflow import require_transition


class Tag(models.Model):
    """A label shared by defects, handbook entries and projects; matching tags drive prevention."""

    class Kind(models.TextChoices):
        ELEMENT = "element", _("Building element")
        TRADE = "trade", _("Trade")
        MATERIAL = "material", _("Material")
        UNIT_TYPE = "unit_type", _("Unit type")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="defect_tag_unique_kind_name")]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class ProjectTag(models.Model):
    """What a project is built of (skylights, timber, TA units...): matched against handbook tags."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="defect_tags", verbose_name=_("project"))
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="project_links", verbose_name=_("tag"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "tag"], name="defect_project_tag_unique")]
        verbose_name = _("project tag")
        verbose_name_plural = _("project tags")

    def __str__(self):
        return f"{self.project_id}:{self.tag_id}"


class Defect(TimeStamped):
    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")  # filed by the customer-service centre
        UNDER_REVIEW = "under_review", _("Under review")  # put on a review meeting's agenda
        GRADED = "graded", _("Graded")  # the meeting graded it A or B; measures not yet drafted
        RECTIFYING = "rectifying", _("Rectifying")  # A: measures drafted, department rectifying
        AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Awaiting acceptance")  # A: work done, department to accept it
        ACCEPTED = "accepted", _("Accepted by department")  # A: department accepted; customer service to verify
        VERIFIED = "verified", _("Verified")  # A: customer service verified; cost department to record the cost
        REPORTED_TO_GM = "reported_to_gm", _("Reported to GM office")  # B: measures drafted and reported
        CLOSED = "closed", _("Closed")

    class Source(models.TextChoices):
        MOCK_INSPECTION = "mock_inspection", _("Pre-handover mock inspection")
        HANDOVER = "handover", _("Handover")
        WARRANTY = "warranty", _("Warranty repair")
        COMPLAINT = "complaint", _("Owner complaint")
        PATROL = "patrol", _("Project patrol")

    class Grade(models.TextChoices):
        A = "A", _("Grade A")
        B = "B", _("Grade B")

    TRANSITIONS = {
        Status.REPORTED: {Status.UNDER_REVIEW},
        Status.UNDER_REVIEW: {Status.GRADED},
        Status.GRADED: {Status.RECTIFYING, Status.REPORTED_TO_GM},
        Status.RECTIFYING: {Status.AWAITING_ACCEPTANCE},
        # The department may refuse its own work and send it back to the site.
        Status.AWAITING_ACCEPTANCE: {Status.ACCEPTED, Status.RECTIFYING},
        # Customer service verifies, or rejects the verification with a reason.
        Status.ACCEPTED: {Status.VERIFIED, Status.RECTIFYING},
        Status.VERIFIED: {Status.CLOSED},
        Status.REPORTED_TO_GM: {Status.CLOSED},
        Status.CLOSED: set(),
    }
    # Rectification is being chased while the defect sits in one of these with a past due date.
    CHASED_STATUSES = (Status.GRADED, Status.RECTIFYING, Status.AWAITING_ACCEPTANCE)
    OPEN_STATUSES = tuple(s for s in Status.values if s != "closed")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="defects", verbose_name=_("project"))
    series = models.CharField(_("series"), max_length=8, default="SJ", help_text=_("Letters before the number, e.g. SJ."))
    number = models.PositiveIntegerField(_("number"))
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    units = models.ManyToManyField(Unit, blank=True, related_name="defects", verbose_name=_("affected units"))
    unit_types = models.CharField(_("affected unit types"), max_length=100, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    cause_analysis = models.TextField(_("cause analysis"), blank=True)
    households_affected = models.PositiveIntegerField(_("households affected"), default=0)
    safety_risk = models.BooleanField(_("safety risk"), default=False)
    complaint_risk = models.BooleanField(_("complaint risk"), default=False)
    estimated_loss = models.DecimalField(_("estimated loss (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    responsible_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="defects", verbose_name=_("responsible department")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_defects",
        verbose_name=_("responsible person"),
    )
    found_on = models.DateField(_("found on"))
    due_on = models.DateField(_("rectification due"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="defects", verbose_name=_("tags"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, blank=True)
    measures = models.TextField(_("rectification measures"), blank=True)
    prevention = models.TextField(_("prevention measures"), blank=True)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    actual_cost = models.DecimalField(_("rectification cost (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rejection_count = models.PositiveSmallIntegerField(_("rejected verifications"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    # The owner complaint the defect was found through; the complaint page lists its defects.
    source_complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, null=True, blank=True, related_name="defects",
        verbose_name=_("source complaint"),
    )

    class Meta:
        ordering = ["-found_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="defect_code_unique_per_project"),
            models.UniqueConstraint(fields=["project", "series", "number"], name="defect_number_unique_per_series"),
            models.CheckConstraint(condition=Q(grade__in=["", "A", "B"]), name="defect_grade_a_or_b"),
            models.CheckConstraint(condition=Q(number__gte=1), name="defect_number_positive"),
            # Past the meeting a defect always has a grade; before it, never.
            models.CheckConstraint(
                condition=Q(status__in=["reported", "under_review"], grade="") | (~Q(status__in=["reported", "under_review"]) & ~Q(grade="")),
                name="defect_graded_after_review",
            ),
            models.CheckConstraint(condition=Q(due_on__isnull=True) | Q(due_on__gte=models.F("found_on")), name="defect_due_after_found"),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="defect_project_status"),
            models.Index(fields=["status", "due_on"], name="defect_status_due"),
            models.Index(fields=["grade"], name="defect_grade"),
            models.Index(fields=["source"], name="defect_source"),
            models.Index(fields=["responsible_department", "status"], name="defect_department_status"),
            models.Index(fields=["found_on"], name="defect_found_on"),
            # Open defects only (a third of them at scale): the group dashboard's open / chased /
            # overdue / open grade-A counts per project read this index alone (index-only).
            models.Index(
                fields=["project", "status", "grade", "due_on"], condition=~Q(status="closed"), name="defect_open_project"
            ),
        ]
        verbose_name = _("defect")
        verbose_name_plural = _("defects")

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("defects:detail", args=[self.pk])

    def require_transition(self, target: str, *, action: str) -> None:
        require_transition(self.TRANSITIONS, self.status, target, action=action)

    def is_overdue_on(self, today) -> bool:
        return self.status in self.CHASED_STATUSES and self.due_on is not None and self.due_on < today


class DefectEvent(models.Model):
    """One line of a defect's timeline: every change to a defect writes one."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Reported")
        UPDATED = "updated", _("Updated")
        SUBMITTED = "submitted", _("Put on review agenda")
        GRADED = "graded", _("Graded by review meeting")
        MEASURES_DRAFTED = "measures_drafted", _("Measures drafted")
        RECTIFIED = "rectified", _("Rectification completed")
        ACCEPTED = "accepted", _("Accepted by department")
        ACCEPTANCE_REFUSED = "acceptance_refused", _("Acceptance refused by department")
        VERIFIED = "verified", _("Verified by customer service")
        VERIFICATION_REJECTED = "verification_rejected", _("Verification rejected")
        COST_RECORDED = "cost_recorded", _("Cost recorded")
        REPORTED_TO_GM = "reported_to_gm", _("Reported to GM office")
        CLOSED = "closed", _("Closed")
        PHOTO_ADDED = "photo_added", _("Photo added")
        REMINDED = "reminded", _("Overdue reminder sent")
        ESCALATED = "escalated", _("Escalated to department head")
        HANDBOOK = "handbook", _("Entered in the defect handbook")
        COMPLAINT_LINKED = "complaint_linked", _("Linked to a complaint")

    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="events", verbose_name=_("defect"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status_before = models.CharField(_("status before"), max_length=20, blank=True)
    status_after = models.CharField(_("status after"), max_length=20, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["defect", "at"], name="defect_event_timeline")]
        verbose_name = _("defect event")
        verbose_name_plural = _("defect events")

    def __str__(self):
        return f"{self.defect_id} {self.kind}"

    @property
    def status_before_label(self):
        return Defect.Status(self.status_before).label if self.status_before in Defect.Status.values else ""

    @property
    def status_after_label(self):
        return Defect.Status(self.status_after).label if self.status_after in Defect.Status.values else ""


class DefectChase(models.Model):
    """One reminder or escalation for one defect and due date: the unique row makes it happen once."""

    class Level(models.TextChoices):
        REMINDER = "reminder", _("Reminder to the responsible person")
        ESCALATION = "escalation", _("Escalation to the department head")

    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="chases")
    level = models.CharField(max_length=12, choices=Level.choices)
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["defect", "level", "due_on"], name="defect_chase_once_per_due_date")]

    def __str__(self):
        return f"{self.defect_id} {self.level} {self.due_on}"


class ReviewMeeting(TimeStamped):
    """A defect review meeting (缺陷评审会议): heads of the responsible departments must attend."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="defect_meetings", verbose_name=_("project"))
    held_on = models.DateField(_("held on"))
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="defect_meetings", verbose_name=_("attendees"))
    minutes = models.TextField(_("minutes"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["project", "held_on"], name="defect_meeting_project")]
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")

    def __str__(self):
        return f"{self.project_id} {self.held_on}"

    def get_absolute_url(self):
        return reverse("defects:meeting-detail", args=[self.pk])


class MeetingDecision(models.Model):
    """The meeting's resolution on one defect: main problems, feasibility of rectification and the grade."""

    class Feasibility(models.TextChoices):
        FEASIBLE = "feasible", _("Feasible")
        LIMITED = "limited", _("Feasible with limits")
        NOT_FEASIBLE = "not_feasible", _("Not feasible")

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("meeting"))
    defect = models.ForeignKey(Defect, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("defect"))
    grade = models.CharField(_("grade"), max_length=1, choices=Defect.Grade.choices)
    main_problems = models.TextField(_("causes and main problems"), blank=True)
    construction_capacity = models.CharField(_("construction capacity"), max_length=20, choices=Feasibility.choices)
    technical_feasibility = models.CharField(_("technical feasibility"), max_length=20, choices=Feasibility.choices)
    schedule_feasibility = models.CharField(_("schedule"), max_length=20, choices=Feasibility.choices)
    decision = models.TextField(_("decision"), blank=True)

    class Meta:
        ordering = ["meeting", "defect__code"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "defect"], name="defect_decision_once_per_meeting"),
            models.CheckConstraint(condition=Q(grade__in=["A", "B"]), name="defect_decision_grade_a_or_b"),
        ]
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")

    def __str__(self):
        return f"{self.meeting_id}:{self.defect_id} {self.grade}"


def _photo_path(instance, filename):  # the name is generated by the service; keep only it
    return filename


class DefectPhoto(models.Model):
    """A photo of a defect, re-encoded on upload; served only through a scope-checked view."""

    defect = models.ForeignKey(Defect, on_delete=models.CASCADE, related_name="photos", verbose_name=_("defect"))
    image = models.FileField(_("image"), upload_to=_photo_path, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(size_bytes__lte=10 * 1024 * 1024), name="defect_photo_max_10mb")]
        verbose_name = _("defect photo")
        verbose_name_plural = _("defect photos")

    def __str__(self):
        return self.image.name


class HandbookEntry(TimeStamped):
    """An entry of the product/service defect handbook (缺陷反馈手册), one per graded defect."""

    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("problem"), max_length=200)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="handbook_entries", verbose_name=_("project"))
    defect = models.OneToOneField(Defect, on_delete=models.PROTECT, null=True, blank=True, related_name="handbook_entry")
    grade = models.CharField(_("grade"), max_length=1, choices=Defect.Grade.choices)
    problem = models.TextField(_("problem description"))
    causes = models.TextField(_("causes"), blank=True)
    impact = models.TextField(_("impact"), blank=True)
    prevention = models.TextField(_("prevention measures"))
    responsible_departments = models.CharField(_("responsible departments"), max_length=200, blank=True)
    found_on = models.DateField(_("found on"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="handbook_entries", verbose_name=_("tags"))

    class Meta:
        ordering = ["-found_on", "code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="handbook_code_unique_per_project"),
            models.CheckConstraint(condition=Q(grade__in=["A", "B"]), name="handbook_grade_a_or_b"),
        ]
        indexes = [models.Index(fields=["grade"], name="handbook_grade")]
        verbose_name = _("handbook entry")
        verbose_name_plural = _("handbook entries")

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("defects:handbook-detail", args=[self.pk])


class PreventionChecklistItem(TimeStamped):
    """A handbook lesson a project in design or construction must apply, ticked off with evidence."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        APPLIED = "applied", _("Applied")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prevention_items", verbose_name=_("project"))
    entry = models.ForeignKey(HandbookEntry, on_delete=models.CASCADE, related_name="prevention_items", verbose_name=_("entry"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField(_("evidence"), blank=True)
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ticked_at = models.DateTimeField(_("ticked at"), null=True, blank=True)

    class Meta:
        ordering = ["project", "entry__code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "entry"], name="prevention_item_once_per_project"),
            models.CheckConstraint(condition=Q(status="open") | ~Q(evidence=""), name="prevention_item_ticked_with_evidence"),
        ]
        indexes = [models.Index(fields=["project", "status"], name="prevention_project_status")]
        verbose_name = _("prevention checklist item")
        verbose_name_plural = _("prevention checklist items")

    def __str__(self):
        return f"{self.project_id}:{self.entry_id}"
