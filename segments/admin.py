"""Segments, rules and land checklists in the admin; rule saves go through the service."""

from django.contrib import admin

from . import services
from .models import (
    AssignmentRule,
    CustomerSegment,
    LandAttribute,
    ParcelAssessment,
    Segment,
    SegmentEvent,
    SegmentLandNeed,
    SegmentRecomputeRun,
)


class LandNeedInline(admin.TabularInline):
    model = SegmentLandNeed
    extra = 0


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "reference_share", "order"]
    inlines = [LandNeedInline]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = [
        "priority",
        "name",
        "segment",
        "child_age_min",
        "child_age_max",
        "elderly",
        "income_bands",
        "age_bands",
        "household_size_min",
        "household_size_max",
        "is_active",
    ]
    list_select_related = ["segment"]

    def save_model(self, request, obj, form, change):
        services.assignment_rule_save(actor=request.user, rule=obj)


@admin.register(LandAttribute)
class LandAttributeAdmin(admin.ModelAdmin):
    list_display = ["code", "category", "name", "name_en", "order"]
    list_filter = ["category"]


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(admin.ModelAdmin):
    list_display = ["customer", "segment", "computed_segment", "is_overridden", "computed_at"]
    list_filter = ["segment", "is_overridden"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer", "segment", "computed_segment"]
    readonly_fields = [
        "customer",
        "segment",
        "computed_segment",
        "rule",
        "is_overridden",
        "overridden_by",
        "override_reason",
        "overridden_at",
        "computed_at",
    ]


@admin.register(SegmentEvent)
class SegmentEventAdmin(admin.ModelAdmin):
    list_display = ["at", "customer", "kind", "before", "after", "actor"]
    list_filter = ["kind"]
    raw_id_fields = ["customer"]


@admin.register(SegmentRecomputeRun)
class SegmentRecomputeRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "processed", "total", "changed", "unchanged", "started_by", "created_at", "finished_at"]


@admin.register(ParcelAssessment)
class ParcelAssessmentAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "best_segment", "created_by", "created_at"]
    list_select_related = ["project", "best_segment"]
