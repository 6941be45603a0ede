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


# --- Trust (docs/trust.md): security events, login throttles, outbox, webhooks -------------------
from .models import (  # noqa: E402 - appended section
    LoginThrottle,
    OutboxEvent,
    SecurityEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the system: administrators read them, nobody edits them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "status_code", "method", "path", "actor_type", "actor_label", "object_type", "object_id"]
    list_filter = ["kind", "status_code", "actor_type"]
    search_fields = ["path", "actor_label", "object_id"]
    date_hierarchy = "at"


@admin.register(LoginThrottle)
class LoginThrottleAdmin(ReadOnlyAdmin):
    list_display = ["username", "ip_address", "failures", "window_started_at", "locked_until"]
    search_fields = ["username", "ip_address"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # deleting the row unlocks the pair at once


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["pk", "event", "project", "created_at", "dispatched_at"]
    list_filter = ["event"]
    list_select_related = ["project"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """The secret is shown once, on the add form (pre-filled with a random one); never again."""

    list_display = ["client", "url", "event_types", "active", "created_at"]
    list_filter = ["active"]
    list_select_related = ["client"]
    formfield_overrides = {WebhookSubscription._meta.get_field("url").__class__: {"assume_scheme": "https"}}

    def get_exclude(self, request, obj=None):
        return ["secret"] if obj is not None else []

    def get_changeform_initial_data(self, request):
        import secrets

        return {**super().get_changeform_initial_data(request), "secret": secrets.token_urlsafe(32)}


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "error", "duration_ms"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["delivery_id", "event", "subscription", "status", "attempt_count", "last_status_code", "next_attempt_at",
                    "delivered_at"]
    list_filter = ["status"]
    list_select_related = ["event", "subscription__client"]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    @admin.action(description=_("Replay the selected deliveries"), permissions=["replay"])
    def replay(self, request, queryset):
        from .webhooks import webhook_delivery_replay

        for delivery in queryset:
            webhook_delivery_replay(delivery=delivery)
        self.message_user(request, _("%(count)d deliveries will be sent again.") % {"count": len(queryset)})

    def has_replay_permission(self, request):
        return request.user.is_superuser
