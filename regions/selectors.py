"""Reads about regions."""

from __future__ import annotations

from django.db.models import Q

from regions.codes import region_contains
from regions.models import Region


def region_codes_within(code: str) -> list[str]:
    """Every known region code inside ``code`` (itself included)."""
    return [c for c in Region.objects.values_list("code", flat=True) if region_contains(code, c)]


def region_codes_applying_to(code: str) -> list[str]:
    """The codes whose policies apply to a firm in ``code``: the region and those above it."""
    return Region(code=code).ancestor_codes()


def within_region_q(code: str, field: str = "region__code"):
    """A ``Q`` matching rows whose ``field`` holds a region code inside ``code`` (itself included).

    GB/T 2260 codes nest by prefix, so this is a prefix match an index can serve.
    """
    from regions.codes import level_of

    level = level_of(code)
    if level == "province":
        return Q(**{f"{field}__startswith": code[:2]})
    if level == "city":
        return Q(**{f"{field}__startswith": code[:4]})
    if level == "district":
        return Q(**{field: code}) | Q(**{f"{field}__startswith": f"{code}-"})
    return Q(**{field: code})


# --- What district staff set up: chains, lead banks, butler and advisory teams ----------------
# Staff of a region manage the rows of their region and of every region inside it; a platform
# admin manages all; anybody else nothing (their pages answer 404). Imports are local because
# banks.models imports this module.


def managed_regions(user):
    """The regions ``user`` may set chains and teams up in."""
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if user.is_platform_admin:
        return Region.objects.all()
    if user.is_district_staff and user.region_id:
        return Region.objects.filter(within_region_q(user.region.code, "code"))
    return Region.objects.none()


def scope_by_region(queryset, user, field: str):
    """Rows of ``queryset`` whose region (at ``field``) lies in district staff's region; all for
    a platform admin; none for anybody else."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_platform_admin:
        return queryset
    if user.is_district_staff and user.region_id:
        return queryset.filter(within_region_q(user.region.code, field))
    return queryset.none()


def scope_by_firm_or_region(queryset, user, *, region_field: str):
    """As ``scope_by_region``, and a firm member sees its own firm's rows (``enterprise``)."""
    if user.is_authenticated and user.is_active and user.is_enterprise_member:
        if not user.enterprise_id:
            return queryset.none()
        return queryset.filter(enterprise_id=user.enterprise_id)
    return scope_by_region(queryset, user, region_field)


def may_set_up(user) -> bool:
    """True for the people who manage chains and teams somewhere."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.is_platform_admin or (user.is_district_staff and bool(user.region_id)))
    )


def chains_for_user(user):
    """Industry chains ``user`` manages, with their lead banks and firm counts (fixed queries)."""
    from django.db.models import Count, Prefetch

    from banks.models import LeadBank
    from regions.models import IndustryChain

    return (
        scope_by_region(IndustryChain.objects.all(), user, "region__code")
        .select_related("region")
        .annotate(firm_count=Count("enterprises", distinct=True))
        .prefetch_related(
            Prefetch(
                "lead_banks",
                queryset=LeadBank.objects.select_related("branch__bank").order_by(
                    "branch__bank__name", "branch__name"
                ),
            )
        )
    )


def lead_banks_for_user(user):
    from banks.models import LeadBank

    return scope_by_region(LeadBank.objects.all(), user, "chain__region__code").select_related(
        "chain__region", "branch__bank"
    )


def butler_teams_for_user(user):
    """金融管家 teams ``user`` manages, with members and paired firms (fixed queries)."""
    from banks.models import ButlerTeam

    return (
        scope_by_region(ButlerTeam.objects.all(), user, "region__code")
        .select_related("region", "branch__bank")
        .prefetch_related("members", "enterprises")
        .order_by("region__code", "name")
    )


def advisory_teams_for_user(user):
    """金融辅导队 ``user`` manages, with members and firms served (fixed queries)."""
    from banks.models import AdvisoryTeam

    return (
        scope_by_region(AdvisoryTeam.objects.all(), user, "region__code")
        .select_related("region")
        .prefetch_related("members", "enterprises")
        .order_by("region__code", "name")
    )


def branches_serving(region: Region):
    """Branches that serve ``region``: located in it or above it, or serving it or above it."""
    from banks.models import Branch

    codes = region.ancestor_codes()
    ids = Branch.objects.filter(
        Q(region__code__in=codes) | Q(regions_served__code__in=codes)
    ).values("pk")
    return Branch.objects.filter(pk__in=ids).select_related("bank")


def branches_serving_any(regions):
    """Branches serving at least one of ``regions`` (a form's choices before a region is picked)."""
    from banks.models import Branch

    codes = {code for region in regions for code in region.ancestor_codes()}
    ids = Branch.objects.filter(
        Q(region__code__in=codes) | Q(regions_served__code__in=codes)
    ).values("pk")
    return Branch.objects.filter(pk__in=ids).select_related("bank").order_by("bank__name", "name")


def enterprises_within(region: Region):
    """Firms registered in ``region`` or a region inside it."""
    from enterprises.models import Enterprise

    return Enterprise.objects.filter(within_region_q(region.code))
