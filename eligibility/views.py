"""The public policy calculator (政策测算): plain GET forms, no script needed.

Step 1 asks where the firm is registered and who applies; step 2 asks only what the candidate
policies need, most decisive first; the results list the policies the answers qualify for,
with amounts, conditions and formulas, and the near misses with what is missing. A firm's
member finds the profile pre-filled and may save the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from eligibility import ruleset
from eligibility.engine import format_wan
from eligibility.facts import FactSpec, get_fact
from eligibility.forms import QuestionsForm, ScopeForm, initial_from_facts
from eligibility.models import EligibilityResult, SavedCalculation
from eligibility.prerender import fields_html
from eligibility.ruleset import RuleSet
from eligibility.selectors import (
    Candidate,
    calculator_questions,
    enterprise_facts,
    evaluate_candidates,
    parse_request_facts,
    policy_candidates,
)
from eligibility.services import saved_calculation_create
from enterprises.models import Enterprise

FIRST_QUESTIONS = 12  # the most decisive questions shown first; the rest behind "更多问题"


def _region_choices(rules: RuleSet) -> list[tuple[str, str]]:
    def compute() -> list[tuple[str, str]]:
        indent = {"province": "", "city": "　", "district": "　　", "zone": "　　　"}
        return [(code, f"{indent.get(level, '')}{name}") for code, name, level in rules.regions()]

    return rules.memo("region-choices", compute)


def _firm(request: HttpRequest) -> Enterprise | None:
    user = request.user
    if not user.is_authenticated or not user.is_enterprise_member or not user.enterprise_id:
        return None
    return Enterprise.objects.for_user(user).select_related("region").first()


def _label(name: str) -> str:
    spec = get_fact(name)
    return spec.label if spec is not None else name


def _present(row: dict[str, Any]) -> dict[str, Any]:
    """A result row with what the template shows (万元 texts, fact labels)."""
    row = dict(row)
    row["missing_labels"] = [_label(n) for n in row["missing_facts"]]
    row["amount_text"] = format_wan(row["amount_yuan"]) if row["amount_yuan"] is not None else ""
    row["max_text"] = (
        format_wan(row["max_amount_yuan"]) if row["max_amount_yuan"] is not None else ""
    )
    return row


@dataclass
class Calculation:
    scope: ScopeForm
    rules: RuleSet
    form: QuestionsForm | None = None
    first_fields: list = field(default_factory=list)
    more_fields: list = field(default_factory=list)
    candidates: int = 0
    asked: bool = False
    facts: dict[str, Any] | None = None
    results: list[dict[str, Any]] | None = None
    as_of: date | None = None

    @property
    def scope_html(self) -> list[SafeString]:
        """The scope form's fields, rendered (``eligibility.prerender``)."""
        return fields_html(self.scope, "scope", self.rules)

    @property
    def first_html(self) -> list[SafeString]:
        return fields_html(self.first_fields, "questions", self.rules)

    @property
    def more_html(self) -> list[SafeString]:
        return fields_html(self.more_fields, "questions", self.rules)

    @property
    def eligible(self) -> list[dict[str, Any]]:
        return [r for r in self.results or [] if r["eligible"] is True]

    @property
    def possible(self) -> list[dict[str, Any]]:
        return [r for r in self.results or [] if r["eligible"] is None]

    @property
    def ineligible(self) -> list[dict[str, Any]]:
        return [r for r in self.results or [] if r["eligible"] is False]

    @property
    def total_yuan(self) -> int:
        return sum(r["amount_yuan"] or 0 for r in self.eligible)


def _calculate(params: QueryDict | None, profile: dict[str, Any]) -> Calculation:
    if params is None and profile.get("region_code"):
        params = QueryDict(mutable=True)
        params.update({"region_code": profile["region_code"], "beneficiary_kind": "enterprise"})
    bound = params if params and "region_code" in params else None
    rules = ruleset.current()
    scope = ScopeForm(bound, regions=_region_choices(rules))
    calc = Calculation(scope=scope, rules=rules)
    if not scope.is_bound or not scope.is_valid():
        return calc
    region_code = scope.cleaned_data["region_code"]
    kind = scope.cleaned_data["beneficiary_kind"]
    as_of = timezone.localdate()

    def scoped() -> tuple[list[Candidate], list[FactSpec]]:
        found = [
            c
            for c in policy_candidates(as_of=as_of, region_code=region_code, rules=rules)
            if c.compiled.beneficiary == kind
        ]
        return found, calculator_questions(found)

    candidates, questions = rules.memo(("calculator", as_of, region_code, kind), scoped)
    calc.candidates = len(candidates)
    calc.asked = params.get("calc") == "1"
    form = QuestionsForm(
        params if calc.asked else None,
        questions=questions,
        initial=initial_from_facts(questions, profile),
    )
    calc.form = form
    fields = list(form)
    calc.first_fields, calc.more_fields = fields[:FIRST_QUESTIONS], fields[FIRST_QUESTIONS:]
    if calc.asked and form.is_valid():
        facts, errors = parse_request_facts(form.raw_facts())
        for name, fact_errors in errors.items():
            form.add_error(name if name in form.fields else None, fact_errors)
        if not errors:
            facts.update(region_code=region_code, beneficiary_kind=kind)
            rows = evaluate_candidates(facts=facts, as_of=as_of, candidates=candidates)
            calc.facts, calc.as_of = facts, as_of
            calc.results = [_present(r) for r in rows]
    return calc


def calculator(request: HttpRequest) -> HttpResponse:
    """The calculator page: scope, questions, results (GET only, bookmarkable)."""
    firm = _firm(request)
    profile = enterprise_facts(firm) if firm is not None else {}
    calc = _calculate(request.GET if request.GET else None, profile)
    matched = []
    if firm is not None:
        matched = list(
            EligibilityResult.objects.filter(enterprise=firm, eligible=True)
            .select_related("policy")
            .only("policy_id", "amount_yuan", "max_amount_yuan", "policy__title")
            .order_by("-amount_yuan", "policy_id")[:20]
        )
    query = request.GET.copy()
    if calc.form is not None and not request.GET and profile:
        query.update({"region_code": profile["region_code"], "beneficiary_kind": "enterprise"})
    return render(
        request,
        "eligibility/calculator.html",
        {
            "calc": calc,
            "firm": firm,
            "prefilled": bool(profile) and not calc.asked,
            "matched": matched,
            "query": query.urlencode(),
        },
    )


@login_required
@require_POST
def calculator_save(request: HttpRequest) -> HttpResponse:
    """Save the result of the calculation the hidden ``query`` describes, for the user's firm."""
    if not request.user.is_enterprise_member or not request.user.enterprise_id:
        raise PermissionDenied("只有企业用户可以保存测算结果。")
    params = QueryDict(request.POST.get("query", ""))
    calc = _calculate(params, {})
    if calc.results is None:
        messages.error(request, "测算条件不完整或有误，未能保存，请重新测算。")
        return redirect("eligibility:calculator")
    keep = (
        "policy_id",
        "title",
        "eligible",
        "amount_yuan",
        "max_amount_yuan",
        "formula",
        "unmet",
        "missing_facts",
    )
    saved_calculation_create(
        user=request.user,
        facts=calc.facts or {},
        results=[{k: r[k] for k in keep} for r in calc.results if r["eligible"] is not False],
        as_of=calc.as_of or timezone.localdate(),
    )
    messages.success(request, "测算结果已保存。")
    return redirect("eligibility:saved")


@login_required
def saved_list(request: HttpRequest) -> HttpResponse:
    """The firm's saved calculations, newest first."""
    saved = list(SavedCalculation.objects.for_user(request.user)[:50])
    for item in saved:
        item.rows = [
            _present(dict(r, missing_facts=r.get("missing_facts") or [])) for r in item.results
        ]
    return render(request, "eligibility/saved.html", {"saved": saved})
