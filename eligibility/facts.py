"""The registry of facts the eligibility engine knows, and validation of incoming facts.

A *fact* is one named value about a firm (profile facts) or about what it claims (claim facts);
the names come from ``shared/contracts/eligibility-api.md``. Each fact has a type, a unit and a
Chinese label. The catalogue may declare more facts (``facts:`` in a catalogue file), which are
added with :func:`register_fact` / :func:`register_facts`.

:func:`parse_facts` turns the JSON ``facts`` object of an API request into typed Python values
(``int``, ``Decimal``, ``bool``, ``str``, ``datetime.date``, ``list[str]``) and collects Chinese
error messages keyed by fact name. A JSON ``null`` means "not known" and is dropped, exactly as if
the fact were absent.

This module imports nothing from Django.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from stdnum.cn import uscc as _uscc

from regions.codes import is_valid_region_code

FACT_TYPES: Final = ("integer", "number", "boolean", "string", "date", "list", "enum")
"""The types a fact may have."""

FACT_KINDS: Final = ("profile", "claim", "extra")
"""``profile``: about the firm; ``claim``: about what it claims; ``extra``: declared by the catalogue."""

MONEY_UNIT: Final = "元"

QUALIFICATIONS: Final[dict[str, str]] = {
    "high_tech": "高新技术企业",
    "tech_sme": "科技型中小企业",
    "srdi": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "gazelle": "瞪羚企业",
    "unicorn": "独角兽企业",
    "single_champion": "制造业单项冠军企业",
    "above_scale": "规模以上企业",
    "listing_seed": "上市种子（后备）企业",
    "agri": "涉农经营主体",
}
"""Qualification (firm tag) codes from the GLOSSARY, with their Chinese names."""

BENEFICIARY_KINDS: Final[dict[str, str]] = {
    "enterprise": "企业",
    "bank": "银行机构",
    "leasing_company": "融资租赁公司",
    "guarantor": "担保机构",
    "platform": "平台",
    "institution": "机构",
}
"""Kinds of beneficiary a rule may name (``beneficiary``) and a request may state (``beneficiary_kind``)."""

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# GB/T 4754-2017: a section letter A–T, then a division (2 digits), group (3) or class (4).
_INDUSTRY_RE = re.compile(r"^[A-T](\d{2}|\d{3}|\d{4})?$")

# Formats of string facts that get a specific check.
FORMAT_USCC: Final = "uscc"
FORMAT_REGION: Final = "region_code"
FORMAT_INDUSTRY: Final = "industry_code"


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One known fact: its name, type, unit and Chinese label.

    ``choices`` lists the allowed values of an ``enum`` fact, or the allowed codes of a ``list``
    fact (empty = any string). ``minimum`` is the smallest allowed value of an ``integer`` or
    ``number`` fact (``None`` = no bound). ``format`` names a special check of a ``string`` fact
    (``uscc``, ``region_code``, ``industry_code``).
    """

    name: str
    type: str
    label: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    choice_labels: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    minimum: int | None = None
    kind: str = "extra"
    format: str = ""
    description: str = ""

    @property
    def is_money(self) -> bool:
        """True for an amount of money in yuan."""
        return self.unit == MONEY_UNIT

    @property
    def is_numeric(self) -> bool:
        """True for ``integer`` and ``number`` facts."""
        return self.type in ("integer", "number")

    def choice_label(self, code: str) -> str:
        """The Chinese name of a choice or code, or the code itself."""
        return self.choice_labels.get(code, code)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (what ``GET /api/v1/facts/`` lists)."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "unit": self.unit,
            "label": self.label,
            "kind": self.kind,
        }
        if self.choices:
            data["choices"] = [
                {"value": code, "label": self.choice_label(code)} for code in self.choices
            ]
        if self.minimum is not None:
            data["minimum"] = self.minimum
        if self.description:
            data["description"] = self.description
        return data


def _spec(
    name: str,
    type_: str,
    label: str,
    unit: str = "",
    *,
    kind: str,
    choices: Mapping[str, str] | None = None,
    minimum: int | None = 0,
    format_: str = "",
    value_labels: Mapping[str, str] | None = None,
) -> FactSpec:
    choice_map = dict(choices or {})
    return FactSpec(
        name=name,
        type=type_,
        label=label,
        unit=unit,
        choices=tuple(choice_map),
        choice_labels=choice_map or dict(value_labels or {}),
        minimum=minimum if type_ in ("integer", "number") else None,
        kind=kind,
        format=format_,
    )


_STAGES = {
    "signed": "签订上市辅导协议",
    "counselling_filed": "辅导备案",
    "application_accepted": "上市申请获受理",
    "listed": "成功上市",
}
_BOARDS = {
    "main": "沪深主板",
    "star": "科创板",
    "chinext": "创业板",
    "bse": "北交所",
    "hkex": "港交所",
    "neeq": "新三板",
    "regional": "区域性股权市场（四板）",
}
_LOAN_PURPOSES = {
    "farmland": "高标准农田建设",
    "facility_agriculture": "设施农业",
    "equipment": "设备购置",
    "working_capital": "流动资金",
    "tech_upgrade": "技术改造",
}

_BUILTIN: Final[tuple[FactSpec, ...]] = (
    # Profile facts.
    _spec("uscc", "string", "统一社会信用代码", kind="profile", format_=FORMAT_USCC),
    _spec("region_code", "string", "注册地行政区划代码", kind="profile", format_=FORMAT_REGION),
    _spec(
        "industry_code", "string", "国民经济行业分类代码", kind="profile", format_=FORMAT_INDUSTRY
    ),
    _spec("annual_revenue_yuan", "integer", "上年度主营业务收入", "元", kind="profile"),
    _spec("employees", "integer", "从业人员", "人", kind="profile"),
    _spec("total_assets_yuan", "integer", "资产总额", "元", kind="profile"),
    _spec("founded_on", "date", "成立日期", kind="profile"),
    _spec("qualifications", "list", "企业资质", kind="profile", choices=QUALIFICATIONS),
    _spec("credit_rating", "string", "公共信用评级", kind="profile"),
    _spec("beneficiary_kind", "enum", "申请主体类型", kind="profile", choices=BENEFICIARY_KINDS),
    # Claim facts.
    _spec("compute_spend_yuan", "integer", "年度算力费用", "元", kind="claim"),
    _spec("uses_city_compute_platform", "boolean", "通过市算力调度平台购买算力", kind="claim"),
    _spec(
        "model_kind",
        "enum",
        "大模型类型",
        kind="claim",
        choices={"general": "通用大模型", "industry": "行业大模型"},
    ),
    _spec("model_params_billion", "number", "模型参数量", "亿参数", kind="claim"),
    _spec("model_scenarios", "integer", "典型应用场景数量", "个", kind="claim"),
    _spec("model_filed", "boolean", "大模型已完成国家备案", kind="claim"),
    _spec(
        "regional_equity_direct_financing_yuan",
        "integer",
        "区域性股权市场年度累计直接融资额",
        "元",
        kind="claim",
    ),
    _spec("listed_on_regional_equity_market", "boolean", "在区域性股权交易市场挂牌", kind="claim"),
    _spec("lease_amount_yuan", "integer", "融资租赁额", "元", kind="claim"),
    _spec("lease_is_direct", "boolean", "直租业务", kind="claim"),
    _spec("lessee_qualifications", "list", "承租人资质", kind="claim", choices=QUALIFICATIONS),
    _spec(
        "data_element_case_level",
        "enum",
        "“数据要素×”典型案例级别",
        kind="claim",
        choices={"national": "国家级", "provincial": "省级", "none": "未获评"},
    ),
    _spec("project_investment_yuan", "integer", "项目投资额", "元", kind="claim"),
    _spec("data_trading_volume_yuan", "integer", "年度数据产品流通交易额", "元", kind="claim"),
    _spec("data_trading_rank", "integer", "数据产品流通交易额排名", "名", kind="claim", minimum=1),
    _spec("loan_amount_yuan", "integer", "贷款金额", "元", kind="claim"),
    # An open string: its known values still get Chinese names.
    _spec("loan_purpose", "string", "贷款用途", kind="claim", value_labels=_LOAN_PURPOSES),
    _spec(
        "first_set_level",
        "enum",
        "首台（套）认定级别",
        kind="claim",
        choices={"national": "国家级", "provincial": "省级"},
    ),
    _spec(
        "first_set_kind",
        "enum",
        "首台（套）类别",
        kind="claim",
        choices={"equipment": "技术装备", "core_component": "关键核心零部件"},
    ),
    _spec("listing_stage", "enum", "上市进程阶段", kind="claim", choices=_STAGES),
    _spec("listing_board", "enum", "上市板块", kind="claim", choices=_BOARDS),
)

BUILTIN_FACT_NAMES: Final[frozenset[str]] = frozenset(s.name for s in _BUILTIN)

FACTS: dict[str, FactSpec] = {s.name: s for s in _BUILTIN}
"""The live registry: every known fact by name (built-in and registered)."""

_version = 0


def registry_version() -> int:
    """A counter that changes whenever the registry changes (for caches keyed on it)."""
    return _version


def get_fact(name: str) -> FactSpec | None:
    """The spec of a known fact, or None."""
    return FACTS.get(name)


def known_facts() -> list[FactSpec]:
    """Every known fact: built-in ones first in contract order, then registered ones."""
    return list(FACTS.values())


def facts_catalogue() -> list[dict[str, Any]]:
    """JSON-ready list of every known fact (name, type, unit, label, kind, choices)."""
    return [spec.to_dict() for spec in FACTS.values()]


_REGISTER_KEYS = frozenset(
    {"name", "type", "label", "unit", "choices", "minimum", "kind", "description"}
)


def register_fact(
    name: str,
    type: str,
    label: str,
    unit: str | None = "",
    *,
    choices: Iterable[str] | Mapping[str, str] | None = None,
    minimum: int | None = 0,
    kind: str = "extra",
    description: str | None = "",
) -> FactSpec:
    """Add a fact to the registry and return its spec.

    ``choices`` (a list of codes or a mapping code → Chinese name) is required for ``enum`` facts
    and optional for ``list`` facts. ``minimum`` (default 0) bounds ``integer`` and ``number``
    facts; pass ``None`` for no bound. Registering the same definition again is a no-op; a
    different definition of a built-in fact raises ``ValueError``, of a registered one replaces it.
    Messages are in Chinese.
    """
    global _version
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"事实名称“{name}”无效：应为小写英文字母、数字和下划线，以字母开头")
    if type not in FACT_TYPES:
        raise ValueError(f"事实 {name} 的类型“{type}”无效，可选：{'、'.join(FACT_TYPES)}")
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"事实 {name} 缺少中文名称（label）")
    if unit is not None and not isinstance(unit, str):
        raise ValueError(f"事实 {name} 的单位（unit）应为字符串")
    if kind not in FACT_KINDS:
        raise ValueError(f"事实 {name} 的类别“{kind}”无效，可选：{'、'.join(FACT_KINDS)}")
    if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, int)):
        raise ValueError(f"事实 {name} 的最小值（minimum）应为整数")
    choice_map: dict[str, str]
    if choices is None:
        choice_map = {}
    elif isinstance(choices, Mapping):
        choice_map = {str(k): str(v) for k, v in choices.items()}
    elif isinstance(choices, str) or not isinstance(choices, Iterable):
        raise ValueError(f"事实 {name} 的可选值（choices）应为列表")
    else:
        choice_map = {str(c): str(c) for c in choices}
    if type == "enum" and not choice_map:
        raise ValueError(f"枚举事实 {name} 必须列出可选值（choices）")
    if choice_map and type not in ("enum", "list"):
        raise ValueError(f"事实 {name} 的类型为 {type}，不能有可选值（choices）")
    spec = FactSpec(
        name=name,
        type=type,
        label=label.strip(),
        unit=(unit or "").strip(),
        choices=tuple(choice_map),
        choice_labels=choice_map,
        minimum=minimum if type in ("integer", "number") else None,
        kind=kind,
        description=(description or "").strip(),
    )
    existing = FACTS.get(name)
    if existing is not None:
        if existing == spec:
            return existing
        if name in BUILTIN_FACT_NAMES:
            raise ValueError(f"事实 {name} 是内置事实，不能重新定义")
    FACTS[name] = spec
    _version += 1
    return spec


def register_facts(definitions: Iterable[Mapping[str, Any]]) -> list[FactSpec]:
    """Register the facts a catalogue file declares (dicts with name/type/unit/label/…).

    Raises ``ValueError`` with a Chinese message on the first bad definition.
    """
    specs = []
    for definition in definitions:
        if not isinstance(definition, Mapping):
            raise ValueError("事实定义应为映射（name、type、unit、label）")
        unknown = sorted(set(definition) - _REGISTER_KEYS)
        if unknown:
            raise ValueError(
                f"事实 {definition.get('name')} 的定义有未知字段：{'、'.join(map(str, unknown))}"
            )
        missing = [k for k in ("name", "type", "label") if k not in definition]
        if missing:
            raise ValueError(f"事实 {definition.get('name')} 的定义缺少字段：{'、'.join(missing)}")
        specs.append(register_fact(**definition))
    return specs


def unregister_fact(name: str) -> None:
    """Remove a registered (non-built-in) fact; for tests and catalogue reloads."""
    global _version
    if name in BUILTIN_FACT_NAMES:
        raise ValueError(f"事实 {name} 是内置事实，不能删除")
    if FACTS.pop(name, None) is not None:
        _version += 1


# ---------------------------------------------------------------------------------------------
# Parsing incoming facts


class _Invalid(Exception):
    """A fact value failed validation; the argument is the Chinese message."""


def _parse_integer(spec: FactSpec, raw: Any) -> int:
    if isinstance(raw, bool):
        raise _Invalid(_integer_message(spec))
    if isinstance(raw, int):
        value = raw
    elif (isinstance(raw, float) and math.isfinite(raw) and raw.is_integer()) or (
        isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value()
    ):
        value = int(raw)
    else:
        raise _Invalid(_integer_message(spec))
    _check_minimum(spec, value)
    return value


def _integer_message(spec: FactSpec) -> str:
    if spec.minimum is None:
        return "应为整数"
    base = "应为非负整数" if spec.minimum == 0 else f"应为不小于{spec.minimum}的整数"
    return base + ("（单位：元）" if spec.is_money else "")


def _check_minimum(spec: FactSpec, value: int | Decimal) -> None:
    if spec.minimum is not None and value < spec.minimum:
        if spec.minimum == 0:
            raise _Invalid("金额不能为负数" if spec.is_money else "不能为负数")
        raise _Invalid(f"不能小于{spec.minimum}")


def _parse_number(spec: FactSpec, raw: Any) -> int | Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise _Invalid("应为数值")
    value: int | Decimal
    if isinstance(raw, int):
        value = raw
    else:
        try:
            value = Decimal(repr(raw)) if isinstance(raw, float) else raw
        except InvalidOperation as exc:  # pragma: no cover - repr of a float always parses
            raise _Invalid("应为数值") from exc
        if not value.is_finite():
            raise _Invalid("应为有限的数值")
    _check_minimum(spec, value)
    return value


def _parse_boolean(spec: FactSpec, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise _Invalid("应为布尔值（true 或 false）")
    return raw


def _parse_string(spec: FactSpec, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _Invalid("应为字符串")
    value = raw.strip()
    if not value:
        raise _Invalid("不能为空")
    if len(value) > 200:
        raise _Invalid("过长（最多200个字符）")
    if spec.format == FORMAT_USCC:
        value = _uscc.compact(value)
        if not _uscc.is_valid(value):
            raise _Invalid("统一社会信用代码格式或校验位不正确")
    elif spec.format == FORMAT_REGION:
        if not is_valid_region_code(value):
            raise _Invalid("行政区划代码格式不正确（应为6位数字，功能区为“6位代码-英文缩写”）")
    elif spec.format == FORMAT_INDUSTRY:
        value = value.upper()
        if not _INDUSTRY_RE.match(value):
            raise _Invalid("行业代码格式不正确（应为门类字母加0、2、3或4位数字，如 C、C38、I65）")
    return value


def parse_date_value(raw: Any) -> date:
    """A ``date`` from a ``date`` or a ``YYYY-MM-DD`` string; ``ValueError`` otherwise."""
    if isinstance(raw, datetime):
        raise ValueError("datetime is not a date")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _DATE_RE.match(raw):
        return date.fromisoformat(raw)
    raise ValueError(f"not a date: {raw!r}")


def _parse_date(spec: FactSpec, raw: Any) -> date:
    if isinstance(raw, str) and _DATE_RE.match(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError as exc:
            raise _Invalid("日期无效（不存在的日期）") from exc
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    raise _Invalid("应为 YYYY-MM-DD 格式的日期")


def _parse_list(spec: FactSpec, raw: Any) -> list[str]:
    if not isinstance(raw, list | tuple):
        raise _Invalid("应为代码列表")
    result: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise _Invalid("列表中的每一项应为字符串代码")
        code = item.strip()
        if spec.choices and code not in spec.choice_labels:
            kind = "资质代码" if set(spec.choices) == set(QUALIFICATIONS) else "代码"
            raise _Invalid(f"未知的{kind}“{code}”，可选：{'、'.join(spec.choices)}")
        if code not in result:
            result.append(code)
    return result


def _parse_enum(spec: FactSpec, raw: Any) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"应为以下取值之一：{'、'.join(spec.choices)}")
    value = raw.strip()
    if value not in spec.choice_labels:
        raise _Invalid(f"未知的取值“{value}”，可选：{'、'.join(spec.choices)}")
    return value


_PARSERS = {
    "integer": _parse_integer,
    "number": _parse_number,
    "boolean": _parse_boolean,
    "string": _parse_string,
    "date": _parse_date,
    "list": _parse_list,
    "enum": _parse_enum,
}


def parse_fact(name: str, raw: Any) -> Any:
    """Validate and convert one fact value; raises ``ValueError`` with a Chinese message."""
    spec = FACTS.get(name)
    if spec is None:
        raise ValueError("未知的事实名称")
    try:
        return _PARSERS[spec.type](spec, raw)
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def parse_facts(raw: Mapping[str, Any] | Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate and convert the JSON ``facts`` object of a request.

    Returns ``(facts, errors)``: ``facts`` holds every valid fact converted to its Python type
    (integers stay ``int``; ``number`` facts become ``int`` or ``Decimal``; dates become
    ``datetime.date``; lists are de-duplicated; ``uscc`` is compacted, ``industry_code``
    upper-cased). ``errors`` maps each bad fact name to Chinese messages, e.g.
    ``{"employees": ["应为非负整数"]}``. A ``null`` value counts as absent. Booleans must be real
    booleans, and a boolean is never accepted as a number.
    """
    facts: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, Mapping):
        return facts, {"facts": ["应为对象（事实名称 → 值）"]}
    for key, value in raw.items():
        name = key if isinstance(key, str) else str(key)
        spec = FACTS.get(name)
        if spec is None:
            errors.setdefault(name, []).append("未知的事实名称")
            continue
        if value is None:
            continue
        try:
            facts[name] = _PARSERS[spec.type](spec, value)
        except _Invalid as exc:
            errors.setdefault(name, []).append(str(exc))
    return facts, errors
