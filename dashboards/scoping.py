"""Who sees which cases on the dashboards — decided here and nowhere else.

District staff: the needs of firms within their region; a branch manager: the needs the branch
holds; a bank officer: their own queue; a platform admin: all. Anyone else gets 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role
from needs.models import FinancingNeed
from regions.selectors import within_region_q

if TYPE_CHECKING:
    from accounts.models import User


def may_see_dashboard(user: User) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_platform_admin:
        return True
    if user.is_district_staff:
        return bool(user.region_id)
    return user.role in (Role.BANK_OFFICER, Role.BANK_MANAGER) and bool(user.branch_id)


def is_district(user: User) -> bool:
    """Staff and admins see the district's view (applications, catalogue, assessment)."""
    return user.is_platform_admin or user.is_district_staff


def ensure_dashboard(user: User) -> None:
    if not may_see_dashboard(user):
        raise Http404


def ensure_district(user: User) -> None:
    if not (may_see_dashboard(user) and is_district(user)):
        raise Http404


def check_region(user: User, code: str) -> str:
    """``code`` when it names a known region inside the viewer's own; 404 otherwise ("" = all)."""
    from regions.codes import region_contains
    from regions.models import Region

    if not code:
        return ""
    if not is_district(user) or not Region.objects.filter(code=code).exists():
        raise Http404
    if user.is_platform_admin or region_contains(user.region.code, code):
        return code
    raise Http404


def scoped_needs(user: User) -> QuerySet[FinancingNeed]:
    """The needs counted on ``user``'s dashboard; 404 for anyone without one."""
    ensure_dashboard(user)
    needs = FinancingNeed.objects.all()
    if user.is_platform_admin:
        return needs
    if user.is_district_staff:
        return needs.filter(within_region_q(user.region.code, "enterprise__region__code"))
    if user.role == Role.BANK_MANAGER:
        return needs.filter(assigned_branch_id=user.branch_id)
    return needs.filter(assigned_officer_id=user.pk)


def region_q(user: User, field: str) -> Q:
    """Rows of ``field`` (a region code path) within the staff member's region; all for admins."""
    if user.is_district_staff and user.region_id:
        return within_region_q(user.region.code, field)
    return Q()


class RegionViewer:
    """Stands for a region's district staff where there is no request (the monthly bulletin)."""

    is_authenticated = True
    is_active = True
    is_platform_admin = False
    is_district_staff = True
    is_enterprise_member = False
    is_bank_user = False
    role = Role.DISTRICT_STAFF
    pk = None
    branch_id = None
    enterprise_id = None

    def __init__(self, region) -> None:
        self.region = region
        self.region_id = region.pk
