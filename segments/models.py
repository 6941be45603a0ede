"""Household segments (客户细分), their assignment to customers, and the land-fit "city map".

DOMAIN.md §6: five segments with motives and housing needs; land-attribute checklists
(土地属性需求清单) per segment; the city map (城市地图) asks which land suits whom before land
is bought.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from estates.models import Customer, Project, TimeStamped

from . import rules

INCOME_BANDS = [v for v, _label in Customer.IncomeBand.choices]
AGE_BANDS = [v for v, _label in Customer.AgeBand.choices]


class Segment(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    family_traits = models.TextField(_("family traits"), blank=True)
    family_traits_en = models.TextField(_("family traits (English)"), blank=True)
    motives = models.TextField(_("purchase motives"), blank=True)
    motives_en = models.TextField(_("purchase motives (English)"), blank=True)
    attitude = models.TextField(_("attitude to the home"), blank=True)
    attitude_en = models.TextField(_("attitude to the home (English)"), blank=True)
    needs = models.TextField(_("housing needs"), blank=True)
    needs_en = models.TextField(_("housing needs (English)"), blank=True)
    # The seed's share of buyers (0.09 = 9 %), shown as a reference line; null where it gives none.
    reference_share = models.DecimalField(_("reference share"), max_digits=4, decimal_places=3, null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reference_share__isnull=True) | Q(reference_share__gte=0, reference_share__lte=1),
                name="segment_reference_share_fraction",
            )
        ]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name


class AssignmentRule(TimeStamped):
    """One editable rule over household facts; the active rules are tried in ``priority`` order
    (lowest first) and the first that matches decides the segment. An empty condition means "any"."""

    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="rules", verbose_name=_("segment"))
    priority = models.PositiveIntegerField(_("priority"), unique=True, help_text=_("Lower numbers are tried first."))
    name = models.CharField(_("name"), max_length=120)
    child_age_min = models.PositiveSmallIntegerField(_("youngest child age from"), null=True, blank=True)
    child_age_max = models.PositiveSmallIntegerField(_("child age up to"), null=True, blank=True)
    elderly = models.BooleanField(_("elderly living in"), null=True, blank=True, help_text=_("Empty: either."))
    income_bands = models.JSONField(_("income bands"), default=list, blank=True)
    age_bands = models.JSONField(_("age bands"), default=list, blank=True)
    household_size_min = models.PositiveSmallIntegerField(_("household size from"), null=True, blank=True)
    household_size_max = models.PositiveSmallIntegerField(_("household size up to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(child_age_min__isnull=True) | Q(child_age_min__lte=rules.CHILD_AGE_MAX))
                & (Q(child_age_max__isnull=True) | Q(child_age_max__lte=rules.CHILD_AGE_MAX)),
                name="rule_child_ages_0_17",
            ),
            models.CheckConstraint(
                condition=Q(child_age_min__isnull=True)
                | Q(child_age_max__isnull=True)
                | Q(child_age_min__lte=models.F("child_age_max")),
                name="rule_child_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(household_size_min__isnull=True) | Q(household_size_min__gte=1))
                & (Q(household_size_max__isnull=True) | Q(household_size_max__gte=1)),
                name="rule_household_size_positive",
            ),
            models.CheckConstraint(
                condition=Q(household_size_min__isnull=True)
                | Q(household_size_max__isnull=True)
                | Q(household_size_min__lte=models.F("household_size_max")),
                name="rule_household_range_ordered",
            ),
        ]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self):
        return f"{self.priority} {self.name}"

    def clean(self):
        if not isinstance(self.income_bands, list) or not isinstance(self.age_bands, list):
            raise ValidationError({"income_bands": [_("Give a list of bands.")]})
        errors = rules.rule_errors(self.as_spec(), income_bands=INCOME_BANDS, age_bands=AGE_BANDS)
        if errors:
            messages = rule_error_messages()
            raise ValidationError({f: [messages[c] for c in codes] for f, codes in errors.items()})

    def as_spec(self) -> rules.RuleSpec:
        return rules.RuleSpec(
            id=self.pk,
            segment_id=self.segment_id,
            priority=self.priority,
            child_age_min=self.child_age_min,
            child_age_max=self.child_age_max,
            elderly=self.elderly,
            income_bands=tuple(self.income_bands or ()),
            age_bands=tuple(self.age_bands or ()),
            household_size_min=self.household_size_min,
            household_size_max=self.household_size_max,
        )


def rule_error_messages() -> dict:
    return {
        "child_age_range": _("Children's ages run from 0 to 17."),
        "child_age_order": _("The upper age is below the lower age: no child could match."),
        "household_positive": _("A household has at least one person."),
        "household_order": _("The largest household size is below the smallest: no household could match."),
        "unknown_income_band": _("Unknown income band. Use: %(bands)s") % {"bands": ", ".join(INCOME_BANDS)},
        "unknown_age_band": _("Unknown age band. Use: %(bands)s") % {"bands": ", ".join(AGE_BANDS)},
    }


class CustomerSegment(models.Model):
    """A customer's segment: computed by the rules, or overridden by hand (who, when, why).

    ``segment`` is what everyone reads: the override when there is one, else the computed one.
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, related_name="segment_assignment", verbose_name=_("customer")
    )
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("segment")
    )
    computed_segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("computed segment")
    )
    rule = models.ForeignKey(
        AssignmentRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("rule")
    )
    is_overridden = models.BooleanField(_("overridden by hand"), default=False)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    override_reason = models.TextField(_("override reason"), blank=True)
    overridden_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(is_overridden=False) | ~Q(override_reason=""), name="segment_override_has_reason"),
        ]
        indexes = [models.Index(fields=["segment"], name="customer_segment_segment")]
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")

    def __str__(self):
        return f"{self.customer_id}: {self.segment_id}"


class SegmentEvent(models.Model):
    class Kind(models.TextChoices):
        COMPUTED = "computed", _("Computed")
        OVERRIDDEN = "overridden", _("Overridden by hand")
        OVERRIDE_CLEARED = "override_cleared", _("Override cleared")
        RULE_SAVED = "rule_saved", _("Assignment rule saved")  # no customer; before/after in detail

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="segment_events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.CharField(_("actor"), max_length=150)
    before = models.CharField(_("before"), max_length=40, blank=True)
    after = models.CharField(_("after"), max_length=40, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["customer", "at"], name="segment_event_customer_at")]
        verbose_name = _("segment event")
        verbose_name_plural = _("segment events")

    def __str__(self):
        return f"{self.customer_id} {self.kind} {self.before}->{self.after}"


class SegmentRecomputeRun(TimeStamped):
    """A bulk recompute over every customer, with progress counts. One at most is active."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")  # created; waiting for a worker
        RUNNING = "running", _("Running")  # a worker claimed it and is going through batches
        DONE = "done", _("Done")  # every customer was processed
        FAILED = "failed", _("Failed")  # the worker stopped (error or went stale)

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # True while queued or running, NULL after: the unique index allows one active run only.
    active = models.BooleanField(null=True, default=True, unique=True)
    started_by = models.CharField(_("started by"), max_length=150)
    total = models.PositiveIntegerField(_("customers"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    last_customer_id = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed=models.F("changed") + models.F("unchanged")), name="recompute_counts_add_up"
            ),
            models.CheckConstraint(
                condition=Q(active=True, status__in=["queued", "running"])
                | Q(active__isnull=True, status__in=["done", "failed"]),
                name="recompute_active_matches_status",
            ),
        ]
        verbose_name = _("segment recompute run")
        verbose_name_plural = _("segment recompute runs")

    def __str__(self):
        return f"#{self.pk} {self.status} {self.processed}/{self.total}"

    @property
    def progress(self) -> float:
        return min(self.processed / self.total, 1.0) if self.total else 1.0


class LandAttribute(models.Model):
    class Category(models.TextChoices):
        REGION_SIGNIFICANCE = "region_significance", _("Region significance")  # 区域意义
        REGION_CHARACTER = "region_character", _("Region character")  # 区域内涵
        TRANSPORT = "transport", _("Transport")  # 交通设施
        LIVING = "living", _("Living facilities")  # 生活设施
        EDUCATION = "education", _("Education")  # 教育设施
        LEISURE = "leisure", _("Leisure")  # 休闲设施
        NATURE = "nature", _("Nature")  # 自然设施

    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("land attribute")
        verbose_name_plural = _("land attributes")

    def __str__(self):
        return self.name


class SegmentLandNeed(models.Model):
    """One line of a segment's land-attribute checklist: how much the attribute matters (1–3)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="land_needs")
    attribute = models.ForeignKey(LandAttribute, on_delete=models.CASCADE, related_name="needs")
    # 3 = key need (the seed's "Yes"), 2 = important, 1 = welcome.
    weight = models.PositiveSmallIntegerField(_("weight"), default=rules.KEY_WEIGHT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "attribute"], name="land_need_once"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=3), name="land_need_weight_1_3"),
        ]
        verbose_name = _("land need")
        verbose_name_plural = _("land needs")

    def __str__(self):
        return f"{self.segment_id}:{self.attribute_id}={self.weight}"


class ParcelAssessment(TimeStamped):
    """A candidate parcel ("city map") assessed for one project (usually still in the investment stage)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="parcel_assessments", verbose_name=_("project"))
    name = models.CharField(_("parcel"), max_length=150)
    location = models.CharField(_("location"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    attributes = models.ManyToManyField(LandAttribute, related_name="+", verbose_name=_("attributes present"))
    best_segment = models.ForeignKey(Segment, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("best fit"))
    created_by = models.CharField(_("assessed by"), max_length=150)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "-created_at"], name="parcel_project_created")]
        verbose_name = _("parcel assessment")
        verbose_name_plural = _("parcel assessments")

    def __str__(self):
        return self.name


class ParcelScore(models.Model):
    parcel = models.ForeignKey(ParcelAssessment, on_delete=models.CASCADE, related_name="scores")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("fit score"), max_digits=5, decimal_places=1)
    rank = models.PositiveSmallIntegerField(_("rank"))
    drivers = models.JSONField(_("attributes that drive it"), default=list)
    gaps = models.JSONField(_("key attributes missing"), default=list)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "segment"], name="parcel_score_once"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="parcel_score_0_100"),
        ]
        verbose_name = _("parcel score")
        verbose_name_plural = _("parcel scores")

    def __str__(self):
        return f"{self.parcel_id}:{self.segment_id}={self.score}"
