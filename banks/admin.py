from django.contrib import admin

from banks.models import AdvisoryTeam, Bank, Branch, ButlerTeam, LeadBank


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    search_fields = ("name",)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("name", "bank", "region")
    list_filter = ("bank",)
    filter_horizontal = ("regions_served",)


@admin.register(LeadBank)
class LeadBankAdmin(admin.ModelAdmin):
    list_display = ("chain", "branch", "assigned_on")


@admin.register(ButlerTeam)
class ButlerTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "branch")
    filter_horizontal = ("members", "enterprises")


@admin.register(AdvisoryTeam)
class AdvisoryTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "leader")
    filter_horizontal = ("members", "enterprises")
