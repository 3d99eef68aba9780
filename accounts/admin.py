from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


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
