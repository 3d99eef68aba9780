"""Bulk eligibility: our engine against OpenFisca-core on the same seeded rules, one firm against
1,000 policies, and the nightly re-match stored on PostgreSQL.

    python -m benchmarks.eligibility [--firms 100000] [--policies 1000]
                                     [--nightly-firms 10000] [--nightly-policies 1000]
                                     [--skip-nightly] [--seed 2026]
                                     [--only openfisca|one-firm|nightly]

1. **Seeded rules × 100,000 firms.** The four seeded policies 算力券 (enterprise), 区域性股权
   reward, 融资租赁 and 数据要素× — our engine runs the rules exactly as ``fixtures/catalogue``
   stores them; OpenFisca runs the same terms written as an OpenFisca model
   (``benchmarks/eligibility_openfisca.py``) — over the same synthetic population (firms in 青岛
   and 泰安 districts, some leasing companies, each fact missing for 10%, thresholds hit exactly
   for some). The eligibility (yes / no / undecided) and amount of every firm × policy must be
   identical; the time ratio is printed (our ``CompiledRule.quick`` loop vs OpenFisca's simulation
   build + inputs + calculation; compiling rules and building the tax-benefit system are reported
   apart).
2. **One firm × 1,000 policies.** 1,000 policies (the four shapes with scaled thresholds, rates
   and caps, in 青岛 or 泰安) for one firm: our quick and explained evaluations against an
   OpenFisca simulation of one firm, results checked identical.
3. **Nightly re-match on PostgreSQL.** ``eligibility_rematch`` (what the nightly task runs) of
   10,000 firms × 1,000 published policies (every seeded rule, its thresholds scaled), each
   policy evaluated column-wise over each chunk of firms and the eligible results upserted into
   ``EligibilityResult`` (undecided ones are counted, not stored) on its own database
   (``BENCH_ELIGIBILITY_DB``, default ``portal_bench_eligibility``, created and migrated if
   missing): a first run and a rerun (nothing changed: nothing written), against the reference
   of the same evaluations firm by firm in memory. ``--only nightly`` runs just this part.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "fixtures" / "catalogue"
AS_OF = date(2024, 9, 1)
PERIOD = "2024"
SEEDED = {
    "compute": "qd-2024b2-compute-voucher-enterprise",
    "equity": "qd-2024b2-regional-equity-financing-reward",
    "lease": "qd-2024b2-finance-lease-award",
    "data": "qd-2024b2-data-element-case-award",
}
QINGDAO = ("370202", "370203", "370211", "370212", "370213", "370214", "370215", "370281")
TAIAN = ("370902", "370911", "370921", "370923", "370982", "370983")
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_ELIGIBILITY_DB", "portal_bench_eligibility")


# ---------------------------------------------------------------------------------------------
# The seeded rules and the synthetic population


def seeded_catalogue() -> dict[str, dict[str, Any]]:
    """The catalogue's policy records by key, its declared facts registered with the engine."""
    import yaml

    from eligibility.facts import register_facts

    records: dict[str, dict[str, Any]] = {}
    for path in sorted(CATALOGUE.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        register_facts(document.get("facts") or [])
        for record in document.get("policies") or []:
            records[record["key"]] = record
    return records


def _money(rng: random.Random, high: int, exact: tuple[int, ...]) -> int:
    """Uniform up to ``high``, with 5% of the draws exactly at one of the ``exact`` edges."""
    if exact and rng.random() < 0.05:
        return rng.choice(exact)
    return rng.randint(0, high)


def population(size: int, seed: int) -> list[dict[str, Any]]:
    """Typed facts (as ``parse_facts`` returns them) of ``size`` firms; a missing fact is absent."""
    from benchmarks.eligibility_openfisca import CASE_LEVELS, QUALIFICATION_BITS

    rng = random.Random(seed)
    qualifications = list(QUALIFICATION_BITS)
    firms = []
    for _ in range(size):
        facts: dict[str, Any] = {
            "region_code": rng.choice(QINGDAO) if rng.random() < 0.7 else rng.choice(TAIAN),
            "beneficiary_kind": "leasing_company" if rng.random() < 0.15 else "enterprise",
        }

        def maybe(name: str, value: Any, facts: dict[str, Any] = facts) -> None:
            if rng.random() >= 0.1:  # each fact unknown for 10% of the firms
                facts[name] = value

        maybe("annual_revenue_yuan", _money(rng, 50_000_000, (5_000_000, 5_000_001)))
        maybe("uses_city_compute_platform", rng.random() < 0.5)
        maybe("compute_spend_yuan", _money(rng, 8_000_000, (100_000, 100_001, 5_000_000)))
        maybe("listed_on_regional_equity_market", rng.random() < 0.5)
        maybe(
            "regional_equity_direct_financing_yuan",
            _money(rng, 30_000_000, (999_999, 1_000_000, 1_000_050, 21_000_000)),
        )
        maybe("lease_amount_yuan", _money(rng, 600_000_000, (0, 1, 375_000_000)))
        maybe("lessee_is_sme", rng.random() < 0.6)
        maybe("lease_is_direct", rng.random() < 0.3)
        maybe("lessee_qualifications", rng.sample(qualifications, rng.randint(0, 2)))
        maybe("data_element_case_level", rng.choice(CASE_LEVELS))
        maybe("project_investment_yuan", _money(rng, 6_000_000, (3_333_333, 3_333_334)))
        firms.append(facts)
    return firms


# ---------------------------------------------------------------------------------------------
# Running both engines


def engine_run(compiled: list[tuple[str, Any, str]], firms: list[dict[str, Any]]):
    """Our engine: {key: (eligible codes, amounts)} with 1/0/-1 and -1 for "no amount"."""
    out = {}
    code = {True: 1, False: 0, None: -1}
    for key, rule, region in compiled:
        quick = rule.quick
        eligible, amounts = [], []
        for facts in firms:
            e, amount, _ = quick(facts, AS_OF, region)
            eligible.append(code[e])
            amounts.append(-1 if amount is None else amount)
        out[key] = (eligible, amounts)
    return out


def engine_run_columnar(compiled: list[tuple[str, Any, str]], columns: Any):
    """Our engine's bulk path (``eligibility.columnar``) over a population's columns: the columns
    the rules read built in one sweep (those already built are kept), then each rule."""
    from eligibility.columnar import prepare, quick_many

    prepare(columns, [(rule, region) for _, rule, region in compiled], AS_OF)
    out = {}
    for key, rule, region in compiled:
        result = quick_many(rule, columns, AS_OF, region)
        out[key] = (result.eligible, result.amount)
    return out


def _lists(results: dict) -> dict:
    return {k: (e.tolist(), a.tolist()) for k, (e, a) in results.items()}


def compare(ours: dict, theirs: dict, firms: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """(cells compared, first differences)."""
    problems: list[str] = []
    cells = 0
    for key, (eligible, amounts) in ours.items():
        their_eligible, their_amounts = theirs[key]
        their_eligible, their_amounts = their_eligible.tolist(), their_amounts.tolist()
        for i in range(len(eligible)):
            cells += 1
            differs = (eligible[i], amounts[i]) != (their_eligible[i], their_amounts[i])
            if differs and len(problems) < 5:
                problems.append(
                    f"{key} firm {i}: ours {(eligible[i], amounts[i])}, OpenFisca "
                    f"{(their_eligible[i], their_amounts[i])}; facts {firms[i]}"
                )
    return cells, problems


def _timed(function, *args, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def _summary(results: dict) -> str:
    eligible = sum(e.count(1) for e, _ in results.values())
    undecided = sum(e.count(-1) for e, _ in results.values())
    return f"eligible {eligible:,}, undecided {undecided:,}"


# ---------------------------------------------------------------------------------------------
# 1 and 2: against OpenFisca


def seeded_vs_openfisca(size: int, seed: int) -> bool:
    from benchmarks import eligibility_openfisca as of
    from eligibility.engine import compile_rule

    print(f"\n1. Seeded rules × {size:,} firms: our engine vs OpenFisca-core")
    catalogue = seeded_catalogue()
    variants = [of.Variant(key=kind, kind=kind) for kind in SEEDED]
    for v in variants:  # the benchmark's own copy of the terms is the seeded rule itself
        seeded_rule = catalogue[SEEDED[v.kind]]["rule"]
        assert _same_terms(v.rule(), seeded_rule), f"{v.kind}: the model drifted from the seed"
    firms = population(size, seed)
    start = time.perf_counter()
    compiled = [
        (kind, compile_rule(catalogue[key]["rule"]), str(catalogue[key]["region_code"]))
        for kind, key in SEEDED.items()
    ]
    compile_time = time.perf_counter() - start
    from eligibility.columnar import FactColumns

    ours_time, ours = _timed(engine_run, compiled, firms, repeat=3)
    # Column-wise end to end: fresh columns built from the fact dicts each time (best of 3, as
    # OpenFisca's input arrays below); then the evaluation alone, reusing built columns.
    bulk_first, bulk = _timed(lambda: engine_run_columnar(compiled, FactColumns(firms)), repeat=3)
    columns = FactColumns(firms)
    engine_run_columnar(compiled, columns)
    bulk_time, bulk = _timed(engine_run_columnar, compiled, columns, repeat=3)

    start = time.perf_counter()
    system = of.build_system(variants)
    system_time = time.perf_counter() - start
    prepare_time, inputs = _timed(of.columns, firms, repeat=3)
    theirs_time, theirs = _timed(of.run, system, variants, inputs, PERIOD, repeat=3)

    cells, problems = compare(ours, theirs, firms)
    _, bulk_problems = compare(_lists(bulk), theirs, firms)
    problems += bulk_problems
    print(f"   population: {size:,} firms; {_summary(ours)} of {cells:,} firm × policy cells")
    print("   evaluation, from the population's columns:")
    print(f"     our engine, column-wise (eligibility.columnar) {bulk_time * 1000:9.1f} ms")
    print(
        f"     OpenFisca-core (simulation, inputs, formulas)  {theirs_time * 1000:9.1f} ms  "
        f"(+ building the tax-benefit system once: {system_time * 1000:.0f} ms)"
    )
    print(f"     ratio ours / OpenFisca = {bulk_time / theirs_time:.2f}")
    print("   end to end, from the same fact dicts (columns built, then evaluated):")
    print(f"     our engine, column-wise                        {bulk_first * 1000:9.1f} ms")
    print(
        f"     OpenFisca-core                                 "
        f"{(prepare_time + theirs_time) * 1000:9.1f} ms  (input arrays {prepare_time * 1000:.0f} ms)"
    )
    print(f"     ratio ours / OpenFisca = {bulk_first / (prepare_time + theirs_time):.2f}")
    print(
        f"   our engine per firm (CompiledRule.quick, no columns) {ours_time * 1000:9.1f} ms  "
        f"(ratio to OpenFisca end to end {ours_time / (prepare_time + theirs_time):.2f}; "
        f"compiling the 4 rules {compile_time * 1000:.1f} ms)"
    )
    print(f"   results identical (both paths): {'yes' if not problems else 'NO'} ({cells:,} cells)")
    for problem in problems:
        print("     ", problem)
    return not problems


def _same_terms(ours: dict, seeded: dict) -> bool:
    """True when the numbers and operators of two rules agree (labels and notes aside)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: strip(v)
                for k, v in node.items()
                if k not in ("label", "note", "one_time") and v is not None
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(ours) == strip(seeded)


def policy_variants(count: int) -> list:
    """``count`` policies: the four seeded shapes with scales 1.0 … 1.9, in 青岛 or 泰安."""
    from benchmarks import eligibility_openfisca as of

    kinds = list(SEEDED)
    return [
        of.Variant(
            key=f"p{i}",
            kind=kinds[i % 4],
            scale=1 + Fraction((i // 4) % 10, 10),
            region_code="370200" if (i // 40) % 2 == 0 else "370900",
        )
        for i in range(count)
    ]


def one_firm_many_policies(count: int, seed: int) -> bool:
    from benchmarks import eligibility_openfisca as of
    from eligibility.engine import compile_rule

    print(f"\n2. One firm × {count:,} policies")
    variants = policy_variants(count)
    start = time.perf_counter()
    compiled = [(v.key, compile_rule(v.rule()), v.region_code) for v in variants]
    compile_time = time.perf_counter() - start
    firm = [
        {
            "region_code": "370211",
            "beneficiary_kind": "enterprise",
            "annual_revenue_yuan": 12_000_000,
            "uses_city_compute_platform": True,
            "compute_spend_yuan": 800_000,
            "listed_on_regional_equity_market": True,
            "regional_equity_direct_financing_yuan": 3_500_000,
            "data_element_case_level": "national",
        }
    ]
    quick_time, ours = _timed(engine_run, compiled, firm, repeat=20)

    def explained() -> int:
        return sum(len(r.evaluate(firm[0], AS_OF, region).conditions) for _, r, region in compiled)

    explain_time, _ = _timed(explained, repeat=20)
    start = time.perf_counter()
    system = of.build_system(variants)
    system_time = time.perf_counter() - start
    inputs = of.columns(firm)
    theirs_time, theirs = _timed(of.run, system, variants, inputs, PERIOD, repeat=5)
    cells, problems = compare(ours, theirs, firm)
    print(f"   {_summary(ours)} of {count:,} policies")
    print(
        f"   our engine, quick      {quick_time * 1000:8.2f} ms  (+ compiling {compile_time * 1000:.0f} ms)"
    )
    print(f"   our engine, explained  {explain_time * 1000:8.2f} ms  (what the calculator shows)")
    print(
        f"   OpenFisca-core         {theirs_time * 1000:8.2f} ms  (+ building the system "
        f"{system_time * 1000:.0f} ms)"
    )
    print(f"   ratio ours (quick) / OpenFisca = {quick_time / theirs_time:.3f}")
    print(f"   ratio ours (explained) / OpenFisca = {explain_time / theirs_time:.3f}")
    print(f"   results identical: {'yes' if not problems else 'NO'} ({cells:,} cells)")
    for problem in problems:
        print("     ", problem)
    return not problems


# ---------------------------------------------------------------------------------------------
# 3: the nightly re-match on PostgreSQL


def _scaled(rule: dict[str, Any], scale: Fraction) -> dict[str, Any]:
    """A copy of ``rule`` with its money and count thresholds, amounts and caps scaled."""
    scaled = copy.deepcopy(rule)
    money_keys = ("amount_yuan", "cap_yuan", "threshold_yuan", "base_yuan", "max_amount_yuan")

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in list(node.items()):
                numeric = isinstance(value, int) and not isinstance(value, bool)
                if (numeric and (key in money_keys or key == "annual_cap_yuan")) or (
                    numeric and key == "value" and node.get("op") in ("gt", "gte", "lt", "lte")
                ):
                    node[key] = int(value * scale)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(scaled)
    return scaled


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def nightly(firm_count: int, policy_count: int, seed: int) -> None:
    print(f"\n3. Nightly re-match: {firm_count:,} firms × {policy_count:,} policies on PostgreSQL")
    os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from stdnum.cn.uscc import calc_check_digit

    from catalogue.loader import region_ensure
    from eligibility.engine import validate_rule
    from eligibility.models import EligibilityResult
    from eligibility.selectors import (
        applicable,
        candidates_by_region,
        enterprise_facts,
        policy_candidates,
    )
    from eligibility.services import eligibility_rematch
    from enterprises.models import Enterprise
    from enterprises.sizing import classify_size
    from policies.models import Policy, PolicyRule, Status

    call_command("migrate", verbosity=0, interactive=False)
    assert connection.vendor == "postgresql", connection.vendor
    with connection.cursor() as cursor:  # a clean slate on the benchmark's own database
        cursor.execute(
            "TRUNCATE eligibility_eligibilityresult, policies_policyrule, policies_policy, "
            "enterprises_enterprise RESTART IDENTITY CASCADE"
        )
    catalogue = seeded_catalogue()
    templates = [
        r
        for r in catalogue.values()
        if (r.get("rule") or {}).get("conditions") is not None
        and (r["rule"].get("beneficiary") or "enterprise") == "enterprise"
    ]
    regions = {code: region_ensure(code) for code in {*QINGDAO, *TAIAN, "370200", "370900"}}
    for record in templates:
        regions.setdefault(str(record["region_code"]), region_ensure(str(record["region_code"])))

    policies, rules = [], []
    for i in range(policy_count):
        record = templates[i % len(templates)]
        scale = 1 + Fraction((i // len(templates)) % 10, 10)
        rule = _scaled(record["rule"], scale)
        if validate_rule(rule):
            rule = record["rule"]
        policies.append(
            Policy(
                key=f"bench-{i}",
                title=f"{record['title']}（测试{i}）",
                issuer=record["issuer"],
                region=regions[str(record["region_code"])],
                category=record["category"],
                support_type=record["support_type"],
                beneficiary=record.get("beneficiary") or "enterprise",
                valid_from=None,
                valid_to=None,
                status=Status.PUBLISHED,
            )
        )
        rules.append(rule)
    Policy.objects.bulk_create(policies, batch_size=500)
    PolicyRule.objects.bulk_create(
        [PolicyRule(policy=p, data=r) for p, r in zip(policies, rules, strict=True)],
        batch_size=500,
    )

    rng = random.Random(seed)
    qualification_pool = ["tech_sme", "high_tech", "srdi", "little_giant", "above_scale", "agri"]
    firms = []
    for i in range(firm_count):
        code = rng.choice(QINGDAO) if rng.random() < 0.6 else rng.choice(TAIAN)
        body = f"9137{code[2:6]}MB{i:07d}"[:17].ljust(17, "0")
        employees = rng.randint(1, 800) if rng.random() > 0.1 else None
        revenue = rng.randint(0, 200_000_000) if rng.random() > 0.1 else None
        industry = rng.choice(["C30", "C26", "I65", "A01", "F51"])
        firms.append(
            Enterprise(
                uscc=body + calc_check_digit(body),
                name=f"测试企业{i}",
                region=regions[code],
                industry_code=industry,
                annual_revenue_yuan=revenue,
                employees=employees,
                total_assets_yuan=rng.randint(0, 300_000_000),
                founded_on=date(rng.randint(1995, 2023), rng.randint(1, 12), 1),
                qualifications=rng.sample(qualification_pool, rng.randint(0, 2)),
                credit_rating=rng.choice(["AAA", "AA", "A", "B", ""]),
                size_class=classify_size(
                    industry_code=industry,
                    employees=employees,
                    revenue_yuan=revenue,
                    assets_yuan=None,
                )
                or "",
            )
        )
    Enterprise.objects.bulk_create(firms, batch_size=2000)

    # Reference: the same evaluations in memory (facts from the profiles, no database writes).
    def in_memory() -> int:
        candidates = candidates_by_region(policy_candidates(as_of=AS_OF))
        evaluations = 0
        for firm in Enterprise.objects.select_related("region").iterator(chunk_size=2000):
            facts = enterprise_facts(firm)
            for candidate in applicable(candidates, facts.get("region_code")):
                candidate.compiled.quick(facts, AS_OF, candidate.region_code)
                evaluations += 1
        return evaluations

    reference_time, evaluations = _timed(in_memory)
    first_time, first = _timed(lambda: eligibility_rematch(as_of=AS_OF))
    rerun_time, rerun = _timed(lambda: eligibility_rematch(as_of=AS_OF))
    stored = EligibilityResult.objects.count()
    print(
        f"   {evaluations:,} firm × policy evaluations (each firm against the policies of its "
        f"district, city and province); {stored:,} results stored (the eligible ones; "
        f"{first.undecided:,} undecided for want of a fact, not stored)"
    )
    print(f"   reference, evaluations in memory   {reference_time:8.1f} s  (CompiledRule.quick)")
    print(
        f"   nightly re-match, first run        {first_time:8.1f} s  "
        f"({first.stored:,} written; {first.evaluations:,} cells evaluated column-wise, "
        f"{first.evaluations / first_time:,.0f}/s)"
    )
    print(
        f"   nightly re-match, rerun            {rerun_time:8.1f} s  "
        f"({rerun.stored:,} written, {rerun.unchanged:,} unchanged, {rerun.removed:,} removed, "
        f"{rerun.notified} notifications)"
    )
    print(f"   ratio first run / reference = {first_time / reference_time:.2f}")
    print(f"   ratio rerun / reference = {rerun_time / reference_time:.2f}")
    same = stored == first.eligible == rerun.eligible and rerun.stored == rerun.removed == 0
    print(f"   rerun idempotent (nothing written, same rows): {'yes' if same else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=1_000)
    parser.add_argument("--nightly-firms", type=int, default=10_000)
    parser.add_argument("--nightly-policies", type=int, default=1_000)
    parser.add_argument("--skip-nightly", action="store_true")
    parser.add_argument(
        "--only",
        choices=("openfisca", "one-firm", "nightly"),
        help="run one scenario: 1 (openfisca), 2 (one-firm) or 3 (nightly)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    try:
        import openfisca_core  # noqa: F401
    except ImportError:
        print("openfisca-core is not installed: pip install -e '.[dev]'")
        return 1
    ok = True
    if args.only in (None, "openfisca"):
        ok = seeded_vs_openfisca(args.firms, args.seed)
    if args.only in (None, "one-firm"):
        ok = one_firm_many_policies(args.policies, args.seed) and ok
    if args.only == "nightly" or (args.only is None and not args.skip_nightly):
        nightly(args.nightly_firms, args.nightly_policies, args.seed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
