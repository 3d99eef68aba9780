from django.contrib import admin

from needs.models import (
    Assignment,
    Deadline,
    DeadlineAlert,
    FinancingNeed,
    NeedEvent,
    NeedRating,
    RoutingRequest,
    ServiceLevel,
)


class EventInline(admin.TabularInline):
    model = NeedEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "actor", "action", "from_status", "to_status", "note", "data")


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    can_delete = False
    readonly_fields = (
        "created_at",
        "rule",
        "reason",
        "branch",
        "team",
        "outcome",
        "decline_reason",
        "ended_at",
    )
    exclude = ("lead_bank", "assigned_by", "decline_note")


@admin.register(FinancingNeed)
class FinancingNeedAdmin(admin.ModelAdmin):
    list_display = ("id", "enterprise", "amount_yuan", "status", "assigned_branch", "created_at")
    list_filter = ("status", "purpose")
    search_fields = ("enterprise__name",)
    raw_id_fields = ("enterprise", "submitted_by", "assigned_branch", "assigned_officer")
    readonly_fields = ("status",)
    inlines = [AssignmentInline, EventInline]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    list_display = ("region", "accept_days", "contact_days", "decision_days")


admin.site.register(RoutingRequest)
admin.site.register(Deadline)
admin.site.register(DeadlineAlert)
admin.site.register(NeedRating)
