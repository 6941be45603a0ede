"""Read-mostly admin: changes go through the staff pages and their services."""

from django.contrib import admin

from .models import FollowUp, Invitation, Question, Run, SurveyTemplate, Wave


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    can_delete = False
    readonly_fields = ["key", "order", "kind", "dimension", "metric", "text", "text_en", "choices", "required"]


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name", "is_current"]
    readonly_fields = ["code", "version", "is_current"]
    inlines = [QuestionInline]


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "trigger", "offset_months", "offset_days", "window_days", "channel", "is_active"]

    def has_change_permission(self, request, obj=None):
        return False  # the wave page's form goes through services.wave_update, which records an event


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["pk", "wave", "project", "status", "due_on", "closes_on", "reminder_count"]
    list_filter = ["status", "wave"]
    raw_id_fields = ["contract", "customer", "trigger", "run"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["run_on", "status", "created", "sent", "reminded", "skipped", "expired", "started_at", "finished_at"]


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ["pk", "project", "status", "reason", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False
