"""Read-only admin views of the privacy records (they are written by the services only)."""

from django.contrib import admin

from privacy.models import (
    ConsentRecord,
    ContactConsent,
    DataRequest,
    PersonalDataAccess,
    ReviewRequest,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("accessed_at", "user", "role", "subject_type", "subject_id", "purpose")
    list_filter = ("purpose", "subject_type")


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ("granted_at", "kind", "user", "enterprise", "text_version")


@admin.register(ContactConsent)
class ContactConsentAdmin(ReadOnlyAdmin):
    list_display = ("granted_at", "need", "bank", "text_version", "withdrawn_at")


@admin.register(DataRequest)
class DataRequestAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "enterprise", "kind", "status", "handled_at")


@admin.register(ReviewRequest)
class ReviewRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "enterprise", "policy", "status", "answered_at")
