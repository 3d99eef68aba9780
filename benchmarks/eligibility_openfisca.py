"""The reference for ``benchmarks.eligibility``: the seeded rules written as an OpenFisca-core model.

Four seeded policies (算力券, the 区域性股权 reward, 融资租赁, 数据要素×) become OpenFisca
variables over one person entity, the firm. Our engine is three-valued (a missing fact is
*unknown*, never false or zero), so every input fact comes with a ``<fact>_known`` boolean, and a
policy's outputs are ``<policy>_eligible`` (1 yes, 0 no, -1 undecided) and ``<policy>_amount``
(yuan, -1 when no amount). Money is integer yuan, rounded half-up, computed in int64 inside the
formulas (OpenFisca stores ``int`` as int32, which the inputs and amounts fit).

``Variant`` scales a policy's thresholds, rates and caps, so the same four shapes give as many
policies as a benchmark needs (``build_system(variants)``), each with its engine rule
(``Variant.rule``) computing the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

# The fact columns the model reads; booleans are bool, enums small ints, lists bit masks.
NUMERIC_FACTS = (
    "annual_revenue_yuan",
    "compute_spend_yuan",
    "regional_equity_direct_financing_yuan",
    "lease_amount_yuan",
    "project_investment_yuan",
)
BOOLEAN_FACTS = (
    "uses_city_compute_platform",
    "listed_on_regional_equity_market",
    "lessee_is_sme",
    "lease_is_direct",
)
CASE_LEVELS = ("national", "provincial", "municipal")
QUALIFICATION_BITS = {
    "srdi": 1,
    "little_giant": 2,
    "gazelle": 4,
    "unicorn": 8,
    "high_tech": 16,
    "tech_sme": 32,
}
BENEFICIARIES = ("enterprise", "leasing_company", "bank", "institution")
KINDS = ("compute", "equity", "lease", "data")


def _half_up(numerator: np.ndarray, rate: Fraction) -> np.ndarray:
    """round_half_up(numerator × rate) for non-negative int64 arrays, exactly."""
    p, q = rate.numerator, rate.denominator
    return (2 * numerator * p + q) // (2 * q)


def _leaf(known: np.ndarray, holds: np.ndarray) -> np.ndarray:
    return np.where(known, holds.astype(np.int8), np.int8(-1))


def _all(*parts: np.ndarray) -> np.ndarray:
    stacked = np.stack(parts)
    return np.where(
        (stacked == 0).any(axis=0),
        np.int8(0),
        np.where((stacked == -1).any(axis=0), np.int8(-1), np.int8(1)),
    )


def _any(*parts: np.ndarray) -> np.ndarray:
    stacked = np.stack(parts)
    return np.where(
        (stacked == 1).any(axis=0),
        np.int8(1),
        np.where((stacked == -1).any(axis=0), np.int8(-1), np.int8(0)),
    )


@dataclass(frozen=True)
class Variant:
    """One policy: a seeded shape (``kind``) with its numbers scaled by ``scale``.

    ``scale`` 1 is the seeded policy itself; the region is a city code (a policy of the city
    applies to all its districts)."""

    key: str
    kind: str
    scale: Fraction = Fraction(1)
    region_code: str = "370200"

    def n(self, value: int) -> int:
        return int(value * self.scale)

    def rate(self, value: str) -> Fraction:
        # Rates move less than thresholds, and stay exact decimals.
        return Fraction(Decimal(value)) * (1 + (self.scale - 1) / 4)

    def rate_text(self, value: str) -> str:
        rate = self.rate(value)
        text = str(Decimal(rate.numerator) / Decimal(rate.denominator))
        assert Fraction(Decimal(text)) == rate, "rate must be an exact decimal"
        return text

    def rule(self) -> dict[str, Any]:
        """The engine's rule for this policy (the seeded rule when ``scale`` is 1)."""
        if self.kind == "compute":
            return {
                "beneficiary": "enterprise",
                "conditions": {
                    "all": [
                        {
                            "fact": "uses_city_compute_platform",
                            "op": "is_true",
                            "label": "通过全市算力调度服务平台购买算力服务",
                        },
                        {
                            "fact": "annual_revenue_yuan",
                            "op": "gt",
                            "value": self.n(5_000_000),
                            "label": "年度主营业务收入超过门槛",
                        },
                        {
                            "fact": "compute_spend_yuan",
                            "op": "gt",
                            "value": self.n(100_000),
                            "label": "算力费用超过门槛",
                        },
                    ]
                },
                "benefit": {
                    "type": "percent",
                    "fact": "compute_spend_yuan",
                    "rate": self.rate_text("0.2"),
                    "cap_yuan": self.n(1_000_000),
                },
            }
        if self.kind == "equity":
            return {
                "beneficiary": "enterprise",
                "annual_cap_yuan": self.n(500_000),
                "conditions": {
                    "all": [
                        {
                            "fact": "listed_on_regional_equity_market",
                            "op": "is_true",
                            "label": "在区域性股权交易市场挂牌",
                        },
                        {
                            "fact": "regional_equity_direct_financing_yuan",
                            "op": "gte",
                            "value": self.n(1_000_000),
                            "label": "年度累计直接融资额达到门槛（含）",
                        },
                    ]
                },
                "benefit": {
                    "type": "base_plus_marginal",
                    "fact": "regional_equity_direct_financing_yuan",
                    "threshold_yuan": self.n(1_000_000),
                    "base_yuan": self.n(100_000),
                    "rate": self.rate_text("0.02"),
                    "cap_yuan": self.n(500_000),
                },
            }
        if self.kind == "lease":
            return {
                "beneficiary": "leasing_company",
                "annual_cap_yuan": self.n(3_000_000),
                "conditions": {
                    "all": [
                        {
                            "fact": "lease_amount_yuan",
                            "op": "gt",
                            "value": 0,
                            "label": "开展融资租赁业务",
                        },
                        {"fact": "lessee_is_sme", "op": "is_true", "label": "承租人为中小企业"},
                    ]
                },
                "benefit": {
                    "type": "percent",
                    "fact": "lease_amount_yuan",
                    "rate": self.rate_text("0.008"),
                    "rate_overrides": [
                        {
                            "when": {
                                "any": [
                                    {
                                        "fact": "lease_is_direct",
                                        "op": "is_true",
                                        "label": "直租业务",
                                    },
                                    {
                                        "fact": "lessee_qualifications",
                                        "op": "has_any",
                                        "value": ["srdi", "little_giant", "gazelle", "unicorn"],
                                        "label": "承租人为专精特新等企业",
                                    },
                                ]
                            },
                            "rate": self.rate_text("0.01"),
                        }
                    ],
                },
            }
        if self.kind == "data":
            return {
                "beneficiary": "enterprise",
                "conditions": {
                    "fact": "data_element_case_level",
                    "op": "eq",
                    "value": "national",
                    "label": "获评国家级“数据要素×”典型案例",
                },
                "benefit": {
                    "type": "percent",
                    "fact": "project_investment_yuan",
                    "rate": self.rate_text("0.3"),
                    "cap_yuan": self.n(1_000_000),
                },
            }
        raise ValueError(self.kind)

    def formulas(self):
        """(eligible formula, amount formula) of this policy for OpenFisca."""
        city = int(self.region_code) // 100
        beneficiary = BENEFICIARIES.index(self.rule()["beneficiary"])

        def gate(firm, period) -> np.ndarray:
            in_region = firm("region_code", period) // 100 == city
            return in_region & (firm("beneficiary", period) == beneficiary)

        def num(firm, period, name):
            return firm(name, period).astype(np.int64), firm(f"{name}_known", period)

        def boolean(firm, period, name):
            return _leaf(firm(f"{name}_known", period), firm(name, period))

        if self.kind == "compute":

            def passed(firm, period):
                revenue, revenue_known = num(firm, period, "annual_revenue_yuan")
                spend, spend_known = num(firm, period, "compute_spend_yuan")
                return _all(
                    boolean(firm, period, "uses_city_compute_platform"),
                    _leaf(revenue_known, revenue > self.n(5_000_000)),
                    _leaf(spend_known, spend > self.n(100_000)),
                )

            def amount(firm, period):
                spend, known = num(firm, period, "compute_spend_yuan")
                value = np.minimum(_half_up(spend, self.rate("0.2")), self.n(1_000_000))
                return np.where(known, value, -1)

        elif self.kind == "equity":

            def passed(firm, period):
                financing, known = num(firm, period, "regional_equity_direct_financing_yuan")
                return _all(
                    boolean(firm, period, "listed_on_regional_equity_market"),
                    _leaf(known, financing >= self.n(1_000_000)),
                )

            def amount(firm, period):
                financing, known = num(firm, period, "regional_equity_direct_financing_yuan")
                above = np.maximum(financing - self.n(1_000_000), 0)
                value = self.n(100_000) + _half_up(above, self.rate("0.02"))
                value = np.minimum(value, self.n(500_000))  # the cap and the annual cap
                return np.where(known & (financing >= self.n(1_000_000)), value, -1)

        elif self.kind == "lease":

            def passed(firm, period):
                lease, known = num(firm, period, "lease_amount_yuan")
                return _all(_leaf(known, lease > 0), boolean(firm, period, "lessee_is_sme"))

            def amount(firm, period):
                lease, known = num(firm, period, "lease_amount_yuan")
                qualifications = firm("lessee_qualifications", period)
                wanted = sum(
                    QUALIFICATION_BITS[q] for q in ("srdi", "little_giant", "gazelle", "unicorn")
                )
                raised = _any(
                    boolean(firm, period, "lease_is_direct"),
                    _leaf(
                        firm("lessee_qualifications_known", period), (qualifications & wanted) != 0
                    ),
                )
                value = np.where(
                    raised == 1,
                    _half_up(lease, self.rate("0.01")),
                    _half_up(lease, self.rate("0.008")),
                )
                value = np.minimum(value, self.n(3_000_000))
                return np.where(known & (raised != -1), value, -1)

        else:

            def passed(firm, period):
                level = firm("data_element_case_level", period)
                return _leaf(
                    firm("data_element_case_level_known", period),
                    level == CASE_LEVELS.index("national"),
                )

            def amount(firm, period):
                investment, known = num(firm, period, "project_investment_yuan")
                value = np.minimum(_half_up(investment, self.rate("0.3")), self.n(1_000_000))
                return np.where(known, value, -1)

        key = self.key

        def eligible_formula(firm, period):
            ok = firm(f"{key}_gate", period)
            decided = firm(f"{key}_passed", period)
            return np.where(ok, decided, 0)

        def amount_formula(firm, period):
            ok = firm(f"{key}_gate", period) & (firm(f"{key}_passed", period) != 0)
            return np.where(ok, amount(firm, period), -1)

        return gate, passed, eligible_formula, amount_formula


def build_system(variants: list[Variant]):
    """The OpenFisca tax-benefit system of these policies (inputs and outputs as variables)."""
    from openfisca_core.entities import build_entity
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    firm = build_entity(key="firm", plural="firms", label="企业", is_person=True)
    system = TaxBenefitSystem([firm])

    def variable(name: str, value_type: type, formula=None) -> None:
        attrs = {
            "value_type": value_type,
            "entity": firm,
            "definition_period": DateUnit.YEAR,
            "label": name,
        }
        if value_type is int:
            attrs["default_value"] = 0
        if formula is not None:
            attrs["formula"] = formula  # OpenFisca reads it from the class dict
        system.add_variable(type(name, (Variable,), attrs))

    variable("region_code", int)
    variable("beneficiary", int)
    for name in NUMERIC_FACTS:
        variable(name, int)
        variable(f"{name}_known", bool)
    for name in BOOLEAN_FACTS:
        variable(name, bool)
        variable(f"{name}_known", bool)
    variable("lessee_qualifications", int)
    variable("lessee_qualifications_known", bool)
    variable("data_element_case_level", int)
    variable("data_element_case_level_known", bool)
    for v in variants:
        gate, passed, eligible, amount = v.formulas()
        variable(f"{v.key}_gate", bool, gate)
        variable(f"{v.key}_passed", int, passed)
        variable(f"{v.key}_eligible", int, eligible)
        variable(f"{v.key}_amount", int, amount)
    return system


def columns(population: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The population as OpenFisca input columns (value and ``_known`` arrays)."""
    size = len(population)
    out: dict[str, np.ndarray] = {
        "region_code": np.fromiter((int(f["region_code"]) for f in population), np.int32, size),
        "beneficiary": np.fromiter(
            (BENEFICIARIES.index(f.get("beneficiary_kind", "enterprise")) for f in population),
            np.int32,
            size,
        ),
    }
    for name in NUMERIC_FACTS:
        out[name] = np.fromiter((f.get(name) or 0 for f in population), np.int32, size)
        out[f"{name}_known"] = np.fromiter((name in f for f in population), bool, size)
    for name in BOOLEAN_FACTS:
        out[name] = np.fromiter((bool(f.get(name)) for f in population), bool, size)
        out[f"{name}_known"] = np.fromiter((name in f for f in population), bool, size)
    out["lessee_qualifications"] = np.fromiter(
        (
            sum(QUALIFICATION_BITS.get(q, 0) for q in f.get("lessee_qualifications", ()))
            for f in population
        ),
        np.int32,
        size,
    )
    out["lessee_qualifications_known"] = np.fromiter(
        ("lessee_qualifications" in f for f in population), bool, size
    )
    out["data_element_case_level"] = np.fromiter(
        (
            CASE_LEVELS.index(f["data_element_case_level"]) if "data_element_case_level" in f else 0
            for f in population
        ),
        np.int32,
        size,
    )
    out["data_element_case_level_known"] = np.fromiter(
        ("data_element_case_level" in f for f in population), bool, size
    )
    return out


def run(system, variants: list[Variant], inputs: dict[str, np.ndarray], period: str = "2024"):
    """Simulate: {policy key: (eligible int8 array, amount int64 array)}."""
    from openfisca_core.simulations import SimulationBuilder

    size = len(inputs["region_code"])
    simulation = SimulationBuilder().build_default_simulation(system, count=size)
    for name, values in inputs.items():
        simulation.set_input(name, period, values)
    return {
        v.key: (
            simulation.calculate(f"{v.key}_eligible", period),
            simulation.calculate(f"{v.key}_amount", period),
        )
        for v in variants
    }
