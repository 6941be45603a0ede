from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiClient, Building, Contract, Customer, Department, Milestone, Project, Unit, User


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "stage"]
    list_filter = ["city", "stage"]
    search_fields = ["code", "name"]
    inlines = [MilestoneInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["project", "name"]
    list_filter = ["project"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["project", "building", "number", "unit_type", "area_m2"]
    list_filter = ["project"]
    search_fields = ["number"]
    list_select_related = ["project", "building"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id", "income_band", "age_band"]
    search_fields = ["name", "external_id"]
    # Personal data stays out of admin lists; the change form is for administrators only.


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["external_id", "project", "unit", "signed_on", "handover_on", "status"]
    list_filter = ["project", "status"]
    search_fields = ["external_id"]
    raw_id_fields = ["unit", "customers"]
    list_select_related = ["project", "unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "department", "is_active"]
    list_filter = ["role", "department", "is_active"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Touchstone"), {"fields": ("role", "department", "projects", "phone")}))
    filter_horizontal = ["projects", "groups", "user_permissions"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "project_codes", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["key_prefix", "key_hash", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # A client made here would have no key (and a second one would clash on the empty hash):
        # `manage.py create_api_client` makes them and prints the key once.
        return False

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        from .services import api_client_revoke

        for client in queryset:
            api_client_revoke(client=client)
