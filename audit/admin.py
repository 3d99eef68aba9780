from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit record is never edited or deleted, not even by an administrator."""

    list_display = ("created_at", "actor", "action", "object_type", "object_id", "region_code")
    list_filter = ("object_type",)
    search_fields = ("action", "object_id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
