from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User
from audit.services import audit_record


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "display_name",
        "role",
        "enterprise",
        "branch",
        "region",
        "is_active",
    )
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "角色与归属",
            {"fields": ("role", "display_name", "phone", "enterprise", "branch", "region")},
        ),
    )
    autocomplete_fields = ("enterprise",)

    def save_model(self, request, obj, form, change) -> None:
        """Admin edits of users go into the audit record like any other change (names only for
        personal fields; see ``audit.services.redact``)."""
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="user.admin_change" if change else "user.admin_create",
            obj=obj,
            changes={field: str(form.cleaned_data.get(field)) for field in form.changed_data},
        )

    def delete_model(self, request, obj) -> None:
        audit_record(actor=request.user, action="user.admin_delete", obj=obj)
        super().delete_model(request, obj)
