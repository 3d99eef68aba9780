from django.contrib import admin

from dashboards.models import AssessmentScheme, Bulletin, CatalogueView, Job


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(admin.ModelAdmin):
    list_display = ["region", "weights", "updated_at"]


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    list_display = ["region", "month", "created_at"]
    list_filter = ["month"]
    readonly_fields = ["data", "created_at"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "progress", "requested_by", "created_at", "finished_at"]
    list_filter = ["kind", "status"]


@admin.register(CatalogueView)
class CatalogueViewAdmin(admin.ModelAdmin):
    list_display = ["kind", "object_id", "day", "count"]
    list_filter = ["kind"]
