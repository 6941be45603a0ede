"""Read-only admin views of risk records: every change goes through the services and their pages."""

from django.contrib import admin

from .models import AdverseFactor, AdverseFactorType, ChecklistTemplate, Event, Review, RiskItem, SalesPromise


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "version", "is_current"]
    list_filter = ["kind", "is_current"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["project", "kind", "scheduled_on", "status", "signed_off_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["project"]


@admin.register(RiskItem)
class RiskItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "project", "level", "status", "deadline", "owner"]
    list_filter = ["level", "status", "source", "customer_view"]
    list_select_related = ["project", "owner"]
    search_fields = ["title"]


@admin.register(AdverseFactorType)
class AdverseFactorTypeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "name_en", "category", "order"]
    list_filter = ["category"]


@admin.register(AdverseFactor)
class AdverseFactorAdmin(ReadOnlyAdmin):
    list_display = ["project", "factor_type", "distance_m", "direction", "status"]
    list_filter = ["status"]
    list_select_related = ["project", "factor_type"]


@admin.register(SalesPromise)
class SalesPromiseAdmin(ReadOnlyAdmin):
    list_display = ["project", "wording", "kano", "due_milestone", "status"]
    list_filter = ["status", "kano", "due_milestone"]
    list_select_related = ["project"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "subject", "subject_id", "kind", "actor_label"]
    list_filter = ["subject", "kind"]
