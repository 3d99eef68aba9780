from django.contrib import admin

from enterprises.models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "region", "industry_chain", "size_class", "verified_at")
    list_filter = ("size_class", "region")
    search_fields = ("name", "uscc")
    readonly_fields = ("size_class", "verified_at", "verified_by")
