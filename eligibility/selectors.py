"""Reads for eligibility: the policies and rule versions in force, a firm's profile facts,
explained evaluations, calculator questions, product matching and a loan's net cost.

Rules are compiled once per process and cached on (rule id, its dates and data), so bulk
matching pays the compile cost once; bulk work calls ``CompiledRule.quick``, explanations
``CompiledRule.evaluate``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from eligibility import facts as fact_registry
from eligibility.engine import CompiledRule, RuleError, compile_rule, format_wan
from eligibility.facts import FactSpec, get_fact, parse_facts
from policies.models import Policy, PolicyRule
from regions.codes import ancestors, region_contains

if TYPE_CHECKING:
    from banks.models import LoanProduct
    from eligibility.ruleset import RuleSet
    from enterprises.models import Enterprise

logger = logging.getLogger(__name__)

NOT_IN_FORCE = "政策不在有效期内"
NO_RULE = "该政策暂无可测算的条款，请以政策原文为准"
GATE_FACTS = frozenset({"region_code", "beneficiary_kind"})
SUBSIDY_TYPES = ("贴息", "担保费补贴")


# ---------------------------------------------------------------------------------------------
# Facts declared by the catalogue


_catalogue_facts_loaded = False


def ensure_catalogue_facts(*, force: bool = False) -> None:
    """Register, once per process, the facts the catalogue files declared (one query)."""
    global _catalogue_facts_loaded
    if _catalogue_facts_loaded and not force:
        return
    from catalogue.rules import register_catalogue_facts

    register_catalogue_facts()
    _catalogue_facts_loaded = True


def parse_request_facts(raw: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """:func:`parse_facts`, after the catalogue's own facts are known in this process."""
    ensure_catalogue_facts()
    parsed, errors = parse_facts(raw)
    if any("未知的事实名称" in messages for messages in errors.values()):
        ensure_catalogue_facts(force=True)  # another process may have loaded new facts
        parsed, errors = parse_facts(raw)
    return parsed, errors


# ---------------------------------------------------------------------------------------------
# Compiled rules, cached per process


_COMPILED: dict[int, tuple[tuple[Any, ...], CompiledRule | None]] = {}


def compiled_rule(rule: PolicyRule) -> CompiledRule | None:
    """The compiled rule of a version (None when its data is not a valid rule)."""
    signature = (rule.valid_from, rule.valid_to, rule.data, fact_registry.registry_version())
    cached = _COMPILED.get(rule.pk)
    if cached is not None and cached[0] == signature:
        return cached[1]
    try:
        compiled = compile_rule(rule.as_rule())
    except RuleError:
        ensure_catalogue_facts(force=True)
        signature = (rule.valid_from, rule.valid_to, rule.data, fact_registry.registry_version())
        try:
            compiled = compile_rule(rule.as_rule())
        except RuleError as exc:
            logger.warning("policy rule %s is invalid: %s", rule.pk, exc)
            compiled = None
    _COMPILED[rule.pk] = (signature, compiled)
    return compiled


# ---------------------------------------------------------------------------------------------
# Candidates: published policies with the rule version in force


@dataclass(slots=True)
class Candidate:
    """A published policy with the version of its terms in force on ``as_of`` (or None)."""

    policy: Policy
    rule: PolicyRule | None
    compiled: CompiledRule | None
    in_force: bool

    @property
    def region_code(self) -> str:
        return self.policy.region.code


def _pick_version(rules: Iterable[PolicyRule], as_of: date) -> PolicyRule | None:
    best = None
    for rule in rules:
        if (
            (rule.valid_from is None or rule.valid_from <= as_of)
            and (rule.valid_to is None or rule.valid_to >= as_of)
            and (best is None or (rule.valid_from or date.min) > (best.valid_from or date.min))
        ):
            best = rule
    return best


def policy_candidates(
    *,
    as_of: date,
    policy_ids: Iterable[int] | None = None,
    region_code: str | None = None,
    rules: RuleSet | None = None,
) -> list[Candidate]:
    """Published policies and their rule version in force on ``as_of``.

    Without ``policy_ids``: the policies in force on ``as_of`` that have a version in force.
    With them: exactly those policies, in that order, ``in_force`` telling whether they can apply.
    ``region_code`` keeps the policies whose region covers that region.

    Read from the process's rule set of the current catalogue version (``eligibility.ruleset``):
    no query while the catalogue is unchanged, two when it changed. The candidates are shared:
    read them, never change them. ``rules`` is a set the caller already holds.
    """
    from eligibility import ruleset

    rules = rules or ruleset.current()
    if policy_ids is not None:
        candidates = rules.named(policy_ids, as_of)
        if region_code:
            codes = set(ancestors(region_code))
            candidates = [c for c in candidates if c.region_code in codes]
        return candidates
    if region_code:
        return rules.in_force_for_region(as_of, region_code)
    return rules.in_force(as_of)


def candidates_by_region(candidates: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    """Candidates grouped by their policy's region code (for matching many firms)."""
    grouped: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        grouped.setdefault(candidate.region_code, []).append(candidate)
    return grouped


def applicable(grouped: Mapping[str, list[Candidate]], region_code: str | None) -> list[Candidate]:
    """The candidates whose region covers ``region_code`` (all of them when it is unknown)."""
    if not region_code:
        return [c for group in grouped.values() for c in group]
    return [c for code in ancestors(region_code) for c in grouped.get(code, ())]


# ---------------------------------------------------------------------------------------------
# A firm's profile facts


def enterprise_facts(enterprise: Enterprise) -> dict[str, Any]:
    """The engine facts a firm's profile gives (typed, only what is known; no query)."""
    raw: dict[str, Any] = {
        "uscc": enterprise.uscc,
        "region_code": enterprise.region.code if enterprise.region_id else None,
        "industry_code": enterprise.industry_code or None,
        "annual_revenue_yuan": enterprise.annual_revenue_yuan,
        "employees": enterprise.employees,
        "total_assets_yuan": enterprise.total_assets_yuan,
        "founded_on": enterprise.founded_on.isoformat() if enterprise.founded_on else None,
        "qualifications": list(enterprise.qualifications or []),
        "credit_rating": enterprise.credit_rating or None,
        "beneficiary_kind": "enterprise",
    }
    # Facts the catalogue declares that the profile also answers.
    if get_fact("size_class") is not None and enterprise.size_class:
        raw["size_class"] = enterprise.size_class
    if get_fact("is_manufacturer") is not None and enterprise.industry_code:
        raw["is_manufacturer"] = enterprise.industry_code.upper().startswith("C")
    facts, errors = parse_facts({k: v for k, v in raw.items() if get_fact(k) is not None})
    if errors:  # a profile value the engine cannot read counts as unknown
        logger.info("enterprise %s: profile facts ignored: %s", enterprise.pk, errors)
    return facts


# ---------------------------------------------------------------------------------------------
# Explained evaluations


def _sort_key(row: Mapping[str, Any]) -> tuple:
    rank = {True: 0, None: 1, False: 2}[row["eligible"]]
    money = row["amount_yuan"] if row["amount_yuan"] is not None else row["max_amount_yuan"]
    return (rank, -(money or 0), row["policy_id"])


def policy_head(candidate: Candidate) -> dict[str, Any]:
    """The first fields of a candidate's result row: what the policy alone gives."""
    policy = candidate.policy
    return {
        "policy_id": policy.pk,
        "title": policy.title,
        "region_code": candidate.region_code,
        "region_name": policy.region.name,
        "support_type": policy.support_type,
        "valid_to": policy.valid_to,
        "rule_version": candidate.rule.pk if candidate.rule is not None else None,
    }


def unevaluated_tail(candidate: Candidate) -> dict[str, Any] | None:
    """The rest of the row of a candidate not evaluated (not in force, or no valid rule)."""
    if not candidate.in_force:
        return {
            "eligible": False,
            "amount_yuan": None,
            "max_amount_yuan": None,
            "conditions": [],
            "unmet": [NOT_IN_FORCE],
            "missing_facts": [],
            "formula": None,
            "facts_used": {},
            "benefit_note": None,
        }
    if candidate.compiled is None:
        return {
            "eligible": None,
            "amount_yuan": None,
            "max_amount_yuan": None,
            "conditions": [],
            "unmet": [NO_RULE],
            "missing_facts": [],
            "formula": None,
            "facts_used": {},
            "benefit_note": None,
        }
    return None


def evaluate_candidates(
    *, facts: Mapping[str, Any], as_of: date, candidates: Iterable[Candidate]
) -> list[dict[str, Any]]:
    """The contract's result rows (plus formula, facts_used, benefit_note…), best first."""
    rows = []
    for candidate in candidates:
        row = policy_head(candidate)
        tail = unevaluated_tail(candidate)
        if tail is not None:
            row.update(tail)
        else:
            evaluation = candidate.compiled.evaluate(facts, as_of, candidate.region_code)
            row.update(evaluation.to_dict())
            row["facts_used"] = evaluation.facts_used
        rows.append(row)
    rows.sort(key=_sort_key)
    return rows


def eligibility_results(
    *, facts: Mapping[str, Any], as_of: date | None = None, policy_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Evaluate ``facts`` against the policies in force on ``as_of`` (or exactly ``policy_ids``)."""
    as_of = as_of or timezone.localdate()
    candidates = policy_candidates(as_of=as_of, policy_ids=policy_ids)
    return evaluate_candidates(facts=facts, as_of=as_of, candidates=candidates)


def missing_policy_ids(policy_ids: Iterable[int]) -> list[int]:
    """The ids among ``policy_ids`` that name no published policy (from the rule set)."""
    from eligibility import ruleset

    published = ruleset.current().by_id
    return [pk for pk in dict.fromkeys(policy_ids) if pk not in published]


# ---------------------------------------------------------------------------------------------
# Calculator questions


def calculator_questions(candidates: Iterable[Candidate]) -> list[FactSpec]:
    """The facts the candidate policies need, most decisive first.

    A fact counts once per policy that reads it, twice when a condition reads it (a condition
    decides eligibility, a benefit fact only the amount); ties keep the registry's order.
    """
    weight: Counter[str] = Counter()
    for candidate in candidates:
        compiled = candidate.compiled
        if compiled is None:
            continue
        condition_facts = set(compiled.conditions.fact_names()) if compiled.conditions else set()
        for name in compiled.fact_names:
            if name in GATE_FACTS:
                continue
            weight[name] += 2 if name in condition_facts else 1
    order = {spec.name: i for i, spec in enumerate(fact_registry.known_facts())}
    names = sorted(weight, key=lambda n: (-weight[n], order.get(n, len(order))))
    return [spec for name in names if (spec := get_fact(name)) is not None]


# ---------------------------------------------------------------------------------------------
# Product matching


@dataclass(slots=True)
class Need:
    amount_yuan: int | None = None
    term_months: int | None = None
    guarantee_methods: tuple[str, ...] = ()


def firm_customer_types(facts: Mapping[str, Any]) -> set[str] | None:
    """The product customer types a firm belongs to (None when its size is unknown)."""
    from enterprises.sizing import classify_size

    size = facts.get("size_class")
    if not size and facts.get("employees") is not None:
        size = classify_size(
            industry_code=facts.get("industry_code") or "",
            employees=facts.get("employees"),
            revenue_yuan=facts.get("annual_revenue_yuan"),
            assets_yuan=facts.get("total_assets_yuan"),
        )
    types = {size} if size else set()
    if "agri" in (facts.get("qualifications") or []):
        types.add("agri")
    return types or None


def _check_product(
    product: LoanProduct, facts: Mapping[str, Any], need: Need, firm_types: set[str] | None
) -> tuple[list[str], list[str]]:
    """(reasons it fits, reasons it fails) of one product for one need."""
    from banks.models import CustomerType, GuaranteeMethod

    fits: list[str] = []
    fails: list[str] = []
    low, high = product.min_amount_yuan, product.max_amount_yuan
    if need.amount_yuan is not None:
        if low is not None and need.amount_yuan < low:
            fails.append(f"申请金额{format_wan(need.amount_yuan)}低于产品最低额度{format_wan(low)}")
        elif high is not None and need.amount_yuan > high:
            fails.append(
                f"申请金额{format_wan(need.amount_yuan)}超过产品最高额度{format_wan(high)}"
            )
        elif high is not None and low is not None:
            fits.append(f"额度{format_wan(low)}至{format_wan(high)}，可覆盖申请金额")
        elif high is not None:
            fits.append(f"最高额度{format_wan(high)}，可覆盖申请金额")
    if need.term_months is not None and product.max_term_months is not None:
        if need.term_months > product.max_term_months:
            fails.append(
                f"申请期限{need.term_months}个月超过产品最长期限{product.max_term_months}个月"
            )
        else:
            fits.append(f"最长期限{product.max_term_months}个月，满足申请期限")
    if need.guarantee_methods and product.guarantee_methods:
        labels = dict(GuaranteeMethod.choices)
        common = [m for m in need.guarantee_methods if m in product.guarantee_methods]
        if common:
            fits.append(f"接受{'、'.join(labels.get(m, m) for m in common)}方式")
        else:
            fails.append(
                f"不接受{'、'.join(labels.get(m, m) for m in need.guarantee_methods)}方式"
                f"（产品担保方式：{'、'.join(product.guarantee_labels())}）"
            )
    if product.customer_types and firm_types is not None:
        if firm_types & set(product.customer_types):
            fits.append("客户类型相符")
        else:
            labels = dict(CustomerType.choices)
            fails.append(
                f"客户类型不符（产品面向{'、'.join(product.customer_type_labels())}，"
                f"企业为{'、'.join(labels.get(t, t) for t in sorted(firm_types))}）"
            )
    served = [r.code for r in product.regions_served.all()]
    region = facts.get("region_code")
    if served and region:
        if any(region_contains(code, region) for code in served):
            fits.append("服务地区覆盖企业注册地")
        else:
            names = "、".join(r.name for r in product.regions_served.all())
            fails.append(f"服务地区（{names}）不含企业注册地")
    return fits, fails


def _product_row(product: LoanProduct, reasons: list[str]) -> dict[str, Any]:
    return {
        "product_id": product.pk,
        "name": product.name,
        "bank": product.bank.name,
        "min_amount_yuan": product.min_amount_yuan,
        "max_amount_yuan": product.max_amount_yuan,
        "max_term_months": product.max_term_months,
        "rate_text": product.rate_text,
        "guarantee_methods": list(product.guarantee_methods),
        "reasons": reasons,
    }


def product_match(*, facts: Mapping[str, Any], need: Need) -> dict[str, list[dict[str, Any]]]:
    """Published products whose terms admit ``need`` (best first), and those failing one or two
    terms, with Chinese reasons (two queries)."""
    from banks.selectors import public_products

    products = public_products().select_related("bank").prefetch_related("regions_served")
    firm_types = firm_customer_types(facts)
    matches, near = [], []
    for product in products:
        fits, fails = _check_product(product, facts, need, firm_types)
        if not fails:
            rate = product.rate_min_percent
            key = (
                Decimal(rate) if rate is not None else Decimal(999),
                -(product.max_amount_yuan or 0),
            )
            matches.append((key, product.pk, _product_row(product, fits or ["条件均相符"])))
        elif len(fails) <= 2:
            near.append((len(fails), product.pk, _product_row(product, fails)))
    matches.sort(key=lambda t: (t[0], t[1]))
    near.sort(key=lambda t: (t[0], t[1]))
    return {"matches": [t[2] for t in matches], "near_misses": [t[2] for t in near]}


# ---------------------------------------------------------------------------------------------
# A loan's net cost after 贴息 / 担保费补贴


@dataclass(slots=True)
class NetCost:
    """A loan's first-year interest, the subsidies that apply to it, and what is left to pay.

    ``net_cost_yuan`` deducts the subsidies the facts qualify for; ``possible_net_cost_yuan``
    also those still undecided for want of a fact (what the firm pays if it qualifies).
    """

    amount_yuan: int
    annual_interest_yuan: int | None
    subsidies: list[dict[str, Any]]
    subsidy_yuan: int
    net_cost_yuan: int | None
    rate_percent: Decimal | None
    possible_subsidy_yuan: int = 0
    possible_net_cost_yuan: int | None = None


def _serves(policy_region: str, served: list[str]) -> bool:
    """True when a policy's region and a product's service area overlap (either covers the
    other); a product that names no service area is offered everywhere."""
    if not served:
        return True
    return any(
        region_contains(policy_region, c) or region_contains(c, policy_region) for c in served
    )


def net_cost_for_product(
    product: LoanProduct,
    facts: Mapping[str, Any] | None = None,
    *,
    amount_yuan: int | None = None,
    as_of: date | None = None,
) -> NetCost | None:
    """The loan's first-year cost after the 贴息 and guarantee-fee subsidies that combine with it.

    A subsidy combines with the product when its terms are computed from the loan amount and its
    region overlaps the product's service area. The amount is ``amount_yuan`` or the product's
    maximum; the facts are the firm's (or none), plus ``loan_amount_yuan`` and
    ``loan_product_name``. Subsidies whose terms fix an amount for these facts (eligible, or
    still undecided for want of a fact) are listed; only the eligible ones are deducted from
    ``net_cost_yuan``. None when no amount is known (two queries; ``regions_served`` prefetched).
    """
    amount = amount_yuan or product.max_amount_yuan
    if not amount:
        return None
    as_of = as_of or timezone.localdate()
    ensure_catalogue_facts()
    loan_facts = dict(facts or {})
    loan_facts["loan_amount_yuan"] = amount
    if get_fact("loan_product_name") is not None:
        loan_facts["loan_product_name"] = product.name
    served = [r.code for r in product.regions_served.all()]
    candidates = [
        c
        for c in policy_candidates(as_of=as_of)
        if c.policy.support_type in SUBSIDY_TYPES
        and c.compiled is not None
        and "loan_amount_yuan" in c.compiled.fact_names
        and _serves(c.region_code, served)
    ]
    subsidies = []
    total = possible = 0
    for candidate in candidates:
        evaluation = candidate.compiled.evaluate(loan_facts, as_of, candidate.region_code)
        if evaluation.eligible is False or evaluation.amount_yuan is None:
            continue
        if evaluation.eligible:
            total += evaluation.amount_yuan
        possible += evaluation.amount_yuan
        subsidies.append(
            {
                "policy_id": candidate.policy.pk,
                "title": candidate.policy.title,
                "support_type": candidate.policy.support_type,
                "eligible": evaluation.eligible,
                "amount_yuan": evaluation.amount_yuan,
                "formula": evaluation.formula,
                "missing_facts": [
                    (spec.label if (spec := get_fact(n)) else n) for n in evaluation.missing_facts
                ],
            }
        )
    subsidies.sort(key=lambda row: (row["eligible"] is not True, -row["amount_yuan"]))
    rate = product.rate_min_percent
    interest = net = possible_net = None
    if rate is not None:
        interest = int(
            (Decimal(amount) * Decimal(rate) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )
        net = max(interest - total, 0)
        possible_net = max(interest - possible, 0)
    return NetCost(amount, interest, subsidies, total, net, rate, possible, possible_net)


def net_cost_for_viewer(product: LoanProduct, user: Any) -> NetCost | None:
    """:func:`net_cost_for_product` with the facts of the viewer's firm (none for others)."""
    facts: dict[str, Any] = {}
    if getattr(user, "is_authenticated", False) and getattr(user, "enterprise_id", None):
        from enterprises.models import Enterprise

        firm = Enterprise.objects.for_user(user).select_related("region").first()
        if firm is not None:
            facts = enterprise_facts(firm)
    return net_cost_for_product(product, facts)
