"""Read-mostly admin: workflow changes go through the pages and the API, which call the services."""

from django.contrib import admin

from .models import Defect, DefectEvent, HandbookEntry, PreventionChecklistItem, ReviewMeeting, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en"]


class DefectEventInline(admin.TabularInline):
    model = DefectEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "kind", "status_before", "status_after", "detail"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Defect)
class DefectAdmin(admin.ModelAdmin):
    list_display = ["code", "project", "title", "grade", "status", "found_on", "due_on"]
    list_filter = ["status", "grade", "source"]
    search_fields = ["code", "title"]
    list_select_related = ["project"]
    inlines = [DefectEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Defect._meta.fields] + ["units", "tags"]

    def has_add_permission(self, request):
        return False


@admin.register(HandbookEntry)
class HandbookEntryAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "project", "grade", "found_on"]
    list_filter = ["grade", "tags"]
    search_fields = ["code", "title", "problem", "prevention"]
    filter_horizontal = ["tags"]


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(admin.ModelAdmin):
    list_display = ["project", "held_on", "recorded_by"]

    def has_add_permission(self, request):
        return False


@admin.register(PreventionChecklistItem)
class PreventionChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["project", "entry", "status", "ticked_at"]
    list_filter = ["status"]
