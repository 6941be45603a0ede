"""Catalogue editing in the admin; saves go through the services so that every edit leaves an event."""

from django.contrib import admin

from . import services
from .models import CustomerContact, FollowUp, PointCheck, SensitivityPoint, Touchpoint, TouchpointEvent


class SensitivityPointInline(admin.TabularInline):
    model = SensitivityPoint
    extra = 0
    fields = ["code", "name", "name_en", "grade", "standard", "standard_en", "order", "is_active"]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "stage", "department", "is_active"]
    list_filter = ["stage", "department", "is_active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [SensitivityPointInline]

    def save_model(self, request, obj, form, change):
        services.touchpoint_save(actor=request.user, touchpoint=obj)

    def save_formset(self, request, form, formset, change):
        for point in formset.save(commit=False):
            services.sensitivity_point_save(actor=request.user, point=point)
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(SensitivityPoint)
class SensitivityPointAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "grade", "touchpoint", "is_active"]
    list_filter = ["grade", "touchpoint__stage", "is_active"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["touchpoint"]

    def save_model(self, request, obj, form, change):
        services.sensitivity_point_save(actor=request.user, point=obj)


@admin.register(PointCheck)
class PointCheckAdmin(admin.ModelAdmin):
    list_display = ["project", "point", "status", "checked_by", "checked_at"]
    list_filter = ["status", "project"]
    list_select_related = ["project", "point", "checked_by"]
    readonly_fields = ["project", "point", "status", "evidence", "checked_by", "checked_at"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "status", "created_at"]
    list_filter = ["status", "project"]


@admin.register(CustomerContact)
class CustomerContactAdmin(admin.ModelAdmin):
    list_display = ["customer", "project", "channel", "direction", "sentiment", "occurred_at", "source"]
    list_filter = ["channel", "sentiment", "project"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer", "project"]


@admin.register(TouchpointEvent)
class TouchpointEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "actor", "project", "point"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in TouchpointEvent._meta.fields]
