from django.contrib import admin

from applications.models import (
    ApplicationEvent,
    ApplicationFile,
    PolicyApplication,
    ProactivePolicy,
)


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "actor", "from_status", "to_status", "note", "created_at")
    fields = readonly_fields


class FileInline(admin.TabularInline):
    model = ApplicationFile
    extra = 0
    can_delete = False
    readonly_fields = ("material", "original_name", "content_type", "size", "created_at")
    fields = readonly_fields


@admin.register(PolicyApplication)
class PolicyApplicationAdmin(admin.ModelAdmin):
    """Read-only here: every state change goes through applications.services (audited)."""

    list_display = ("pk", "enterprise", "policy", "year", "status", "approved_amount_yuan")
    list_filter = ("status", "year", "proactive")
    search_fields = ("enterprise__name", "policy__title")
    list_select_related = ("enterprise", "policy")
    inlines = [FileInline, EventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ProactivePolicy)
class ProactivePolicyAdmin(admin.ModelAdmin):
    list_display = ("policy", "enabled_by", "created_at")
    list_select_related = ("policy", "enabled_by")
