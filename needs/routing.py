"""Where a need goes next, and why: 金融管家 team, chosen product's bank, chain lead bank, pool.

:func:`choose_destination` only reads; ``needs.services`` writes the assignment it returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from banks.models import Branch, ButlerTeam, LeadBank
from needs.models import Assignment, FinancingNeed
from needs.states import BANK_STATES


@dataclass(frozen=True)
class Destination:
    """A routing decision: the rule that fired, a human reason, and the receiving bank or pool."""

    rule: str
    reason: str
    branch: Branch | None = None
    team: ButlerTeam | None = None
    lead_bank: LeadBank | None = None


def excluded_bank_ids(need: FinancingNeed) -> set[int]:
    """Banks that declined the need, or that the firm asked to leave: never routed to again."""
    return set(
        Assignment.objects.filter(
            need=need,
            outcome__in=[Assignment.Outcome.DECLINED, Assignment.Outcome.RELEASED],
            branch__isnull=False,
        ).values_list("branch__bank_id", flat=True)
    )


def _butler(need: FinancingNeed, excluded: set[int]) -> Destination | None:
    team = (
        ButlerTeam.objects.filter(enterprises=need.enterprise_id)
        .exclude(branch__bank_id__in=excluded)
        .select_related("branch__bank")
        .order_by("pk")
        .first()
    )
    if team is None:
        return None
    return Destination(
        rule=Assignment.Rule.BUTLER,
        reason=f"企业与金融管家团队「{team.name}」结对，由牵头网点{team.branch.name}办理。",
        branch=team.branch,
        team=team,
    )


def _product(need: FinancingNeed, excluded: set[int]) -> Destination | None:
    region_codes = need.enterprise.region.ancestor_codes()
    products = (
        need.products.exclude(bank_id__in=excluded)
        .select_related("bank", "branch")
        .prefetch_related("regions_served")
        .order_by("pk")
    )
    for product in products:
        served = {region.code for region in product.regions_served.all()}
        if served and not served.intersection(region_codes):
            continue  # the product is not offered in the firm's region
        serving = Branch.objects.filter(
            bank_id=product.bank_id, regions_served__code__in=region_codes
        ).select_related("bank")
        branch = None
        if product.branch_id:
            branch = serving.filter(pk=product.branch_id).first()
        branch = branch or serving.order_by("pk").first()
        if branch is not None:
            return Destination(
                rule=Assignment.Rule.PRODUCT,
                reason=f"企业选择了{product.bank.name}的产品「{product.name}」，"
                f"{branch.name}服务企业所在区域。",
                branch=branch,
            )
    return None


def lead_bank_candidates(chain_id: int, excluded: set[int]):
    """The chain's lead banks, lightest open load first, then least recently assigned, then id."""
    load = (
        FinancingNeed.objects.filter(assigned_branch=OuterRef("branch_id"), status__in=BANK_STATES)
        .order_by()
        .values("assigned_branch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last = (
        Assignment.objects.filter(lead_bank=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    return (
        LeadBank.objects.filter(chain_id=chain_id)
        .exclude(branch__bank_id__in=excluded)
        .select_related("branch__bank", "chain")
        .annotate(
            open_load=Coalesce(Subquery(load, output_field=IntegerField()), Value(0)),
            last_assigned=Subquery(last),
        )
        .order_by("open_load", F("last_assigned").asc(nulls_first=True), "pk")
    )


def _lead_bank(need: FinancingNeed, excluded: set[int]) -> Destination | None:
    chain_id = need.enterprise.industry_chain_id
    if chain_id is None:
        return None
    candidates = list(lead_bank_candidates(chain_id, excluded))
    if not candidates:
        return None
    chosen = candidates[0]
    if len(candidates) == 1:
        why = "该产业链仅此一家可派主办银行"
    else:
        why = f"在{len(candidates)}家主办银行中在办需求最少（{chosen.open_load}件）" + (
            "，并列时按轮换顺序" if candidates[1].open_load == chosen.open_load else ""
        )
    return Destination(
        rule=Assignment.Rule.LEAD_BANK,
        reason=f"企业属于产业链「{chosen.chain.name}」，派给主办银行{chosen.branch.name}：{why}。",
        branch=chosen.branch,
        lead_bank=chosen,
    )


def choose_destination(need: FinancingNeed) -> Destination:
    """Apply the routing rules in order; the district pool catches everything else."""
    excluded = excluded_bank_ids(need)
    for rule in (_butler, _product, _lead_bank):
        destination = rule(need, excluded)
        if destination is not None:
            return destination
    reason = "没有可派的金融管家团队、意向产品银行或产业链主办银行，转入区县需求池，由金融发展服务中心分配。"
    if excluded:
        reason = "已退回的银行不再派单；" + reason
    return Destination(rule=Assignment.Rule.POOL, reason=reason)
