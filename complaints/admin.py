"""Admin for the complaint rules (policies, calendars, ladder, limits). Complaints themselves are
read-only here: every change to a complaint goes through the services and the staff pages."""

from django.contrib import admin

from . import services
from .models import AuthorityLimit, CalendarDay, Case, Complaint, EscalationLevel, SlaPolicy, WeeklyReport, WorkCalendar


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["channel", "severity", "first_response_hours", "resolution_hours", "revisit_hours", "basis", "calendar"]
    list_filter = ["channel", "basis"]

    def save_model(self, request, obj, form, change):
        if change:
            values = {name: form.cleaned_data[name] for name in form.changed_data}
            services.sla_policy_update(policy=obj, actor=request.user, **values)
        else:
            super().save_model(request, obj, form, change)


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "is_default"]
    inlines = [CalendarDayInline]

    def save_model(self, request, obj, form, change):
        if change:
            services.work_calendar_update(
                calendar=obj, actor=request.user, intervals=form.cleaned_data["intervals"], weekdays=form.cleaned_data["weekdays"]
            )
            obj.refresh_from_db()
            for name in ("name", "name_en", "is_default"):
                setattr(obj, name, form.cleaned_data[name])
            obj.save(update_fields=["name", "name_en", "is_default"])
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.schedule_recompute(policy_ids=list(form.instance.policies.values_list("pk", flat=True)))


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ["level", "name", "name_en", "notify_role", "scope"]


@admin.register(AuthorityLimit)
class AuthorityLimitAdmin(admin.ModelAdmin):
    list_display = ["role", "max_compensation", "max_close_severity", "may_set_severity"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["reference", "project", "title", "severity", "status", "escalation_level", "created_at"]
    list_filter = ["status", "severity", "channel", "category"]
    search_fields = ["reference", "title"]
    list_select_related = ["project"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "complaint", "created_at"]
    list_select_related = ["project", "complaint"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ["week_start", "created_at", "emailed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
