"""District staff set up their chains, lead banks (主办银行), 金融管家 teams and 金融辅导队.

Every write checks that the region is one the actor manages (``regions.selectors``), validates
all fields with a Chinese message each, and changes nothing when anything is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Role, User
from banks.models import AdvisoryTeam, Branch, ButlerTeam, LeadBank
from enterprises.models import Enterprise
from regions.models import IndustryChain, Region
from regions.selectors import branches_serving, enterprises_within, managed_regions


def _ensure_manages(actor: User, region: Region) -> None:
    if not managed_regions(actor).filter(pk=region.pk).exists():
        raise PermissionDenied("您只能维护本辖区的产业链和团队。")


def _text(errors: dict, field: str, value: str, label: str, limit: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(field, []).append(f"请填写{label}。")
    elif len(value) > limit:
        errors.setdefault(field, []).append(f"{label}不能超过 {limit} 字。")
    return value


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


# --- Industry chains and their lead banks ------------------------------------------------------


@transaction.atomic
def industry_chain_save(
    *,
    actor: User,
    region: Region,
    name: str,
    finance_specialist: str = "",
    description: str = "",
    chain: IndustryChain | None = None,
) -> IndustryChain:
    """Create a chain in ``region``, or rename and describe ``chain`` (its region stays)."""
    region = chain.region if chain is not None else region
    _ensure_manages(actor, region)
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, "产业链名称", 64, required=True)
    specialist = _text(
        errors, "finance_specialist", finance_specialist, "金融专员", 64, required=False
    )
    description = _text(errors, "description", description, "说明", 2000, required=False)
    clash = IndustryChain.objects.filter(region=region, name=name)
    if chain is not None:
        clash = clash.exclude(pk=chain.pk)
    if name and clash.exists():
        errors.setdefault("name", []).append(f"{region.name}已有名为「{name}」的产业链。")
    _raise(errors)
    chain = chain or IndustryChain(region=region)
    chain.name, chain.finance_specialist, chain.description = name, specialist, description
    chain.save()
    return chain


@transaction.atomic
def industry_chain_delete(*, actor: User, chain: IndustryChain) -> None:
    """Delete a chain no firm belongs to (its lead-bank assignments go with it)."""
    _ensure_manages(actor, chain.region)
    firms = Enterprise.objects.filter(industry_chain=chain).count()
    if firms:
        raise ValidationError(
            {"chain": f"仍有 {firms} 家企业属于该产业链，请先调整企业所属产业链再删除。"}
        )
    chain.delete()


@transaction.atomic
def lead_bank_add(
    *, actor: User, chain: IndustryChain, branch: Branch, assigned_on: date | None = None
) -> LeadBank:
    """Assign a branch as 主办银行 of ``chain``: it must serve the chain's region, and a bank
    has one lead branch per chain (a decline excludes the whole bank from the chain)."""
    _ensure_manages(actor, chain.region)
    errors: dict[str, list[str]] = {}
    if not branches_serving(chain.region).filter(pk=branch.pk).exists():
        errors.setdefault("branch", []).append(
            f"{branch.name}不服务{chain.region.name}，不能担任主办银行。"
        )
    elif LeadBank.objects.filter(chain=chain, branch__bank_id=branch.bank_id).exists():
        errors.setdefault("branch", []).append(f"{branch.bank.name}已是该产业链的主办银行。")
    _raise(errors)
    try:
        with transaction.atomic():
            return LeadBank.objects.create(chain=chain, branch=branch, assigned_on=assigned_on)
    except IntegrityError as exc:  # a concurrent request assigned it first
        raise ValidationError({"branch": "该网点已是本产业链的主办银行。"}) from exc


@transaction.atomic
def lead_bank_remove(*, actor: User, lead_bank: LeadBank) -> None:
    """End an assignment; needs already routed to it stay with the bank."""
    _ensure_manages(actor, lead_bank.chain.region)
    lead_bank.delete()


# --- Teams --------------------------------------------------------------------------------------


def _firms(errors: dict, region: Region, enterprises: Iterable[Enterprise]) -> list[Enterprise]:
    firms = list(enterprises)
    inside = set(
        enterprises_within(region).filter(pk__in=[f.pk for f in firms]).values_list("pk", flat=True)
    )
    outside = [f.name for f in firms if f.pk not in inside]
    if outside:
        errors.setdefault("enterprises", []).append(
            f"以下企业不在{region.name}：{'、'.join(outside)}。"
        )
    return firms


@transaction.atomic
def butler_team_save(
    *,
    actor: User,
    name: str,
    region: Region,
    branch: Branch,
    members: Iterable[User],
    enterprises: Iterable[Enterprise],
    team: ButlerTeam | None = None,
) -> ButlerTeam:
    """Create or update a 金融管家 team: bank staff of the lead branch's bank, paired with firms
    of the region. A firm has one butler team, since routing sends its needs to that team."""
    _ensure_manages(actor, region)
    if team is not None:
        _ensure_manages(actor, team.region)
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, "团队名称", 64, required=True)
    clash = ButlerTeam.objects.filter(region=region, name=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if name and clash.exists():
        errors.setdefault("name", []).append(f"{region.name}已有名为「{name}」的金融管家团队。")
    if not branches_serving(region).filter(pk=branch.pk).exists():
        errors.setdefault("branch", []).append(f"{branch.name}不服务{region.name}。")
    members = list(members)
    strangers = [
        str(user)
        for user in members
        if not (
            user.is_active
            and user.role in (Role.BANK_OFFICER, Role.BANK_MANAGER)
            and user.branch_id
            and user.branch.bank_id == branch.bank_id
        )
    ]
    if strangers:
        errors.setdefault("members", []).append(
            f"成员须为{branch.bank.name}的在职客户经理或负责人：{'、'.join(strangers)}不符合。"
        )
    firms = _firms(errors, region, enterprises)
    pairings = ButlerTeam.enterprises.through.objects.filter(
        enterprise_id__in=[f.pk for f in firms]
    )
    if team is not None:
        pairings = pairings.exclude(butlerteam_id=team.pk)
    pairs = list(pairings.values_list("enterprise__name", "butlerteam__name"))
    if pairs:
        listed = "、".join(f"{firm}（{other}）" for firm, other in pairs)
        errors.setdefault("enterprises", []).append(f"以下企业已与其他金融管家团队结对：{listed}。")
    _raise(errors)
    team = team or ButlerTeam()
    team.name, team.region, team.branch = name, region, branch
    team.save()
    team.members.set(members)
    team.enterprises.set(firms)
    return team


@transaction.atomic
def advisory_team_save(
    *,
    actor: User,
    name: str,
    region: Region,
    leader: str,
    members: Iterable[User],
    enterprises: Iterable[Enterprise],
    team: AdvisoryTeam | None = None,
) -> AdvisoryTeam:
    """Create or update a 金融辅导队: district staff and bank staff serving firms of the region."""
    _ensure_manages(actor, region)
    if team is not None:
        _ensure_manages(actor, team.region)
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, "辅导队名称", 64, required=True)
    leader = _text(errors, "leader", leader, "队长", 64, required=False)
    clash = AdvisoryTeam.objects.filter(region=region, name=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if name and clash.exists():
        errors.setdefault("name", []).append(f"{region.name}已有名为「{name}」的金融辅导队。")
    members = list(members)
    codes = set(region.ancestor_codes())
    serving = set(branches_serving(region).values_list("pk", flat=True))
    strangers = [
        str(user)
        for user in members
        if not user.is_active
        or not (
            (user.is_district_staff and user.region_id and user.region.code in codes)
            or (user.is_bank_user and user.branch_id in serving)
        )
    ]
    if strangers:
        errors.setdefault("members", []).append(
            f"成员须为本辖区金融发展服务中心工作人员或服务本辖区的银行人员：{'、'.join(strangers)}不符合。"
        )
    firms = _firms(errors, region, enterprises)
    _raise(errors)
    team = team or AdvisoryTeam()
    team.name, team.region, team.leader = name, region, leader
    team.save()
    team.members.set(members)
    team.enterprises.set(firms)
    return team


@transaction.atomic
def team_delete(*, actor: User, team: ButlerTeam | AdvisoryTeam) -> None:
    """Dissolve a team. Needs routed to a butler team stay with its branch."""
    _ensure_manages(actor, team.region)
    team.delete()
