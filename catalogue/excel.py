"""Excel import and export of the catalogue, in the compendium's columns.

The product sheet (信贷产品) starts with the columns district offices already use in their
compendiums: 产品名称, 银行, 产品简介, 投放条件, 贷款额度, 利率, 期限, 担保方式, 申报材料; the columns
after them (编号, 产品类别, the amounts as numbers, regions, source) carry what a round trip needs,
so that exporting and re-importing into an empty database gives back the same catalogue.

An import validates every row and saves nothing when any row is bad; the errors name the sheet,
row and column in Chinese.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import Workbook, load_workbook

from accounts.models import User
from banks.models import Branch, GuaranteeMethod, LoanProduct, ProductClass
from banks.services import bank_get_or_create, product_upsert
from catalogue.models import CatalogueChange
from policies.models import Beneficiary, Category, Policy, SupportType
from policies.services import policy_upsert
from regions.models import Region

PRODUCT_SHEET = "信贷产品"
POLICY_SHEET = "政策"
COMPENDIUM_COLUMNS = [
    "产品名称",
    "银行",
    "产品简介",
    "投放条件",
    "贷款额度",
    "利率",
    "期限",
    "担保方式",
    "申报材料",
]
PRODUCT_COLUMNS = [
    *COMPENDIUM_COLUMNS,
    "编号",
    "分支行",
    "产品类别",
    "目标客户",
    "客户类型",
    "最低额度（元）",
    "最高额度（元）",
    "最长期限（月）",
    "最低利率（%）",
    "担保费",
    "服务区域",
    "所属区域",
    "来源文件",
    "来源文件标题",
    "原文摘录",
    "状态",
]
POLICY_COLUMNS = [
    "编号",
    "政策名称",
    "发文机关",
    "文号",
    "批次",
    "适用区域",
    "类别",
    "支持方式",
    "支持对象",
    "生效日期",
    "截止日期",
    "政策摘要",
    "申报条件",
    "支持标准",
    "申报材料",
    "联系方式",
    "来源文件",
    "来源文件标题",
    "原文摘录",
    "条款（JSON）",
    "状态",
]
FIELD_LABELS = {
    "name": "产品名称",
    "bank": "银行",
    "branch": "分支行",
    "region": "所属区域",
    "product_class": "产品类别",
    "min_amount_yuan": "最低额度（元）",
    "max_amount_yuan": "最高额度（元）",
    "max_term_months": "最长期限（月）",
    "rate_min_percent": "最低利率（%）",
    "guarantee_methods": "担保方式",
    "customer_types": "客户类型",
    "key": "编号",
    "title": "政策名称",
    "issuer": "发文机关",
    "category": "类别",
    "support_type": "支持方式",
    "beneficiary": "支持对象",
    "valid_from": "生效日期",
    "valid_to": "截止日期",
    "rule": "条款（JSON）",
    "__all__": "",
}
GUARANTEE_BY_LABEL = {label: code for code, label in GuaranteeMethod.choices} | {
    "担保": "guarantee",
    "保证担保": "guarantee",
    "抵押担保": "mortgage",
    "质押担保": "pledge",
    "信用贷款": "credit",
}
STATUS_BY_LABEL = {"已发布": True, "发布": True, "草稿": False, "": False}
_SPLIT = re.compile(r"[、,，;；/\s]+")
_WAN_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?元?")


class ImportError_(Exception):
    """An import with bad rows; ``errors`` lists them in Chinese. Nothing was saved."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    counts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        return (
            f"政策 新增 {c['policy_created']}、更新 {c['policy_updated']}、未变 "
            f"{c['policy_unchanged']}；信贷产品 新增 {c['product_created']}、更新 "
            f"{c['product_updated']}、未变 {c['product_unchanged']}"
        )


# --- Export -------------------------------------------------------------------------------------


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    return value


def _write(sheet, row: list[Any]) -> None:
    sheet.append([_cell_value(v) for v in row])
    for cell in sheet[sheet.max_row]:
        # A text starting with "=" must stay text, never become a formula.
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _amount_text(product: LoanProduct) -> str:
    from eligibility.engine import format_wan

    low, high = product.min_amount_yuan, product.max_amount_yuan
    if low is not None and high is not None:
        return f"{format_wan(low)}至{format_wan(high)}"
    if high is not None:
        return f"最高{format_wan(high)}"
    if low is not None:
        return f"{format_wan(low)}起"
    return ""


def product_row(product: LoanProduct) -> list[Any]:
    """One product as a row of PRODUCT_COLUMNS."""
    return [
        product.name,
        product.bank.name,
        product.description,
        product.conditions_text,
        _amount_text(product),
        product.rate_text,
        f"最长{product.max_term_months}个月" if product.max_term_months else "",
        "、".join(product.guarantee_labels()),
        "\n".join(product.materials),
        product.key,
        product.branch.name if product.branch else "",
        product.product_class,
        product.target_customers,
        "、".join(product.customer_types),
        product.min_amount_yuan,
        product.max_amount_yuan,
        product.max_term_months,
        product.rate_min_percent,
        product.guarantee_fee_text,
        "、".join(r.code for r in product.regions_served.all()),
        product.region.code,
        product.source_file,
        product.source_title,
        product.source_passage,
        product.get_status_display(),
    ]


def policy_row(policy: Policy) -> list[Any]:
    """One policy as a row of POLICY_COLUMNS (with its current rule as JSON)."""
    rules = list(policy.rules.all())
    rule = max(rules, key=lambda r: r.valid_from or date.min).data if rules else None
    return [
        policy.key,
        policy.title,
        policy.issuer,
        policy.document_number,
        policy.batch,
        policy.region.code,
        policy.category,
        policy.support_type,
        policy.get_beneficiary_display(),
        policy.valid_from,
        policy.valid_to,
        policy.summary,
        policy.conditions_text,
        policy.benefit_text,
        "\n".join(policy.materials),
        policy.contact,
        policy.source_file,
        policy.source_title,
        policy.source_passage,
        json.dumps(rule, ensure_ascii=False) if rule is not None else "",
        policy.get_status_display(),
    ]


def catalogue_export(*, policies: Iterable[Policy], products: Iterable[LoanProduct]) -> bytes:
    """A workbook with the sheets 信贷产品 and 政策."""
    workbook = Workbook()
    product_sheet = workbook.active
    product_sheet.title = PRODUCT_SHEET
    product_sheet.append(PRODUCT_COLUMNS)
    for product in (
        LoanProduct.objects.filter(pk__in=[p.pk for p in products])
        .select_related("bank", "branch", "region")
        .prefetch_related("regions_served")
        .order_by("key")
    ):
        _write(product_sheet, product_row(product))
    policy_sheet = workbook.create_sheet(POLICY_SHEET)
    policy_sheet.append(POLICY_COLUMNS)
    for policy in (
        Policy.objects.filter(pk__in=[p.pk for p in policies])
        .select_related("region")
        .prefetch_related("rules")
        .order_by("key")
    ):
        _write(policy_sheet, policy_row(policy))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Import -------------------------------------------------------------------------------------


class RowError(Exception):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _list(value: Any) -> list[str]:
    text = _text(value)
    if not text:
        return []
    if "\n" in text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    return [part for part in re.split(r"[、；;]", text) if part.strip()]


def _int(value: Any, column: str) -> int | None:
    text = _text(value).replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise RowError(f"{column}“{text}”不是数字") from exc
    if number != number.to_integral_value() or number < 0:
        raise RowError(f"{column}“{text}”应为非负整数")
    return int(number)


def _date(value: Any, column: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError as exc:
        raise RowError(f"{column}“{_text(value)}”不是日期（如 2024-07-01）") from exc


def _yuan(number: str, unit: str | None) -> int:
    factor = (
        Decimal(100_000_000) if unit == "亿" else Decimal(10000) if unit == "万" else Decimal(1)
    )
    return int((Decimal(number) * factor).to_integral_value())


def parse_amount_text(text: str) -> tuple[int | None, int | None]:
    """贷款额度 text → (min, max) yuan: 最高500万元, 10万元至500万元, 500万元以内, 1000万元."""
    text = text.replace(" ", "")
    if not text:
        return None, None
    found = _WAN_RE.findall(text)
    if not found:
        raise RowError(f"贷款额度“{text}”无法识别，请填写“最高额度（元）”列")
    amounts = [_yuan(n, u or (found[-1][1] or None)) for n, u in found]
    if len(amounts) >= 2:
        return amounts[0], amounts[1]
    if text.endswith("起") or "以上" in text or "不低于" in text:
        return amounts[0], None
    return None, amounts[0]


def parse_term_text(text: str) -> int | None:
    """期限 text → months: 最长12个月, 3年, 1年期."""
    text = text.replace(" ", "")
    if not text:
        return None
    months = re.findall(r"(\d+)个?月", text)
    years = re.findall(r"(\d+)年", text)
    if months:
        return max(int(m) for m in months)
    if years:
        return max(int(y) for y in years) * 12
    raise RowError(f"期限“{text}”无法识别，请填写“最长期限（月）”列")


def _guarantees(value: Any) -> list[str]:
    codes = []
    for part in _SPLIT.split(_text(value)):
        if not part:
            continue
        if part in GuaranteeMethod.values:
            codes.append(part)
        elif part in GUARANTEE_BY_LABEL:
            codes.append(GUARANTEE_BY_LABEL[part])
        else:
            raise RowError(f"担保方式“{part}”无法识别（可选：信用、抵押、质押、保证）")
    return codes


def _regions(value: Any) -> list[Region]:
    codes = [c for c in _SPLIT.split(_text(value)) if c]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise RowError(f"服务区域“{'、'.join(missing)}”不存在")
    return [found[c] for c in codes]


def _region(value: Any, column: str, default: Region | None) -> Region:
    code = _text(value)
    if not code:
        if default is None:
            raise RowError(f"{column}不能为空")
        return default
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise RowError(f"{column}“{code}”不存在")
    return region


def _status(value: Any) -> bool:
    text = _text(value)
    if text not in STATUS_BY_LABEL:
        raise RowError(f"状态“{text}”无效（可选：已发布、草稿）")
    return STATUS_BY_LABEL[text]


def _choice(value: Any, column: str, choices: list[tuple[str, str]]) -> str:
    text = _text(value)
    by_label = {label: code for code, label in choices}
    if text in dict(choices):
        return text
    if text in by_label:
        return by_label[text]
    options = "、".join(label for _, label in choices)
    raise RowError(f"{column}“{text}”无效（可选：{options}）" if text else f"{column}不能为空")


def _generated_key(prefix: str, *parts: str) -> str:
    digest = hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{prefix}-{digest}"


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        parts = []
        for name, errors in exc.message_dict.items():
            label = FIELD_LABELS.get(name, name)
            parts.append(f"{label}：{'；'.join(errors)}" if label else "；".join(errors))
        return "；".join(parts)
    return "；".join(exc.messages)


def _product_data(row: dict[str, Any], user: User | None) -> tuple[str, dict[str, Any], bool]:
    name = _text(row.get("产品名称"))
    bank_name = _text(row.get("银行"))
    if not name:
        raise RowError("产品名称不能为空")
    if not bank_name:
        raise RowError("银行不能为空")
    low = _int(row.get("最低额度（元）"), "最低额度（元）")
    high = _int(row.get("最高额度（元）"), "最高额度（元）")
    if low is None and high is None:
        low, high = parse_amount_text(_text(row.get("贷款额度")))
    term = _int(row.get("最长期限（月）"), "最长期限（月）")
    if term is None:
        term = parse_term_text(_text(row.get("期限")))
    rate_text = _text(row.get("最低利率（%）"))
    try:
        rate = Decimal(rate_text) if rate_text else None
    except InvalidOperation as exc:
        raise RowError(f"最低利率（%）“{rate_text}”不是数字") from exc
    user_region = user.region if user is not None and user.region_id else None
    region = _region(row.get("所属区域"), "所属区域", user_region)
    bank = bank_get_or_create(name=bank_name)
    branch_name = _text(row.get("分支行"))
    branch = None
    if branch_name:
        branch = Branch.objects.filter(name=branch_name).first()
        if branch is None:
            branch = Branch.objects.create(name=branch_name, bank=bank, region=region)
    key = _text(row.get("编号")) or _generated_key("import", bank.name, name)
    data = {
        "name": name,
        "bank": bank,
        "branch": branch,
        "region": region,
        "product_class": _choice(row.get("产品类别"), "产品类别", ProductClass.choices),
        "description": _text(row.get("产品简介")),
        "target_customers": _text(row.get("目标客户")),
        "conditions_text": _text(row.get("投放条件")),
        "customer_types": [c for c in _SPLIT.split(_text(row.get("客户类型"))) if c],
        "min_amount_yuan": low,
        "max_amount_yuan": high,
        "max_term_months": term,
        "rate_text": _text(row.get("利率")),
        "rate_min_percent": rate,
        "guarantee_methods": _guarantees(row.get("担保方式")),
        "guarantee_fee_text": _text(row.get("担保费")),
        "materials": _list(row.get("申报材料")),
        "regions_served": _regions(row.get("服务区域")),
        "source_file": _text(row.get("来源文件")),
        "source_title": _text(row.get("来源文件标题")),
        "source_passage": _text(row.get("原文摘录")),
    }
    return key, data, _status(row.get("状态"))


def _policy_data(
    row: dict[str, Any], user: User | None
) -> tuple[str, dict[str, Any], dict | None, bool]:
    title = _text(row.get("政策名称"))
    if not title:
        raise RowError("政策名称不能为空")
    user_region = user.region if user is not None and user.region_id else None
    region = _region(row.get("适用区域"), "适用区域", user_region)
    rule_text = _text(row.get("条款（JSON）"))
    rule = None
    if rule_text:
        try:
            rule = json.loads(rule_text)
        except json.JSONDecodeError as exc:
            raise RowError(f"条款（JSON）不是有效的 JSON：第{exc.lineno}行第{exc.colno}列") from exc
    key = _text(row.get("编号")) or _generated_key("import-policy", region.code, title)
    data = {
        "title": title,
        "issuer": _text(row.get("发文机关")),
        "document_number": _text(row.get("文号")),
        "batch": _text(row.get("批次")),
        "region": region,
        "category": _choice(row.get("类别"), "类别", Category.choices),
        "support_type": _choice(row.get("支持方式"), "支持方式", SupportType.choices),
        "beneficiary": _choice(row.get("支持对象") or "企业", "支持对象", Beneficiary.choices),
        "valid_from": _date(row.get("生效日期"), "生效日期"),
        "valid_to": _date(row.get("截止日期"), "截止日期"),
        "summary": _text(row.get("政策摘要")),
        "conditions_text": _text(row.get("申报条件")),
        "benefit_text": _text(row.get("支持标准")),
        "materials": _list(row.get("申报材料")),
        "contact": _text(row.get("联系方式")),
        "source_file": _text(row.get("来源文件")),
        "source_title": _text(row.get("来源文件标题")),
        "source_passage": _text(row.get("原文摘录")),
    }
    return key, data, rule, _status(row.get("状态"))


def _rows(sheet, required: list[str]) -> Iterable[tuple[int, dict[str, Any]]]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        return
    names = [_text(h) for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise ImportError_([f"工作表“{sheet.title}”缺少列：{'、'.join(missing)}"])
    for number, values in enumerate(rows, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        yield number, dict(zip(names, values, strict=False))


#: Rows between two progress reports of an import.
PROGRESS_EVERY = 20


def _row_counter(sheets: dict[str, Any], progress: Callable[[int], None] | None):
    """A callback to call after each row: reports the share of rows done (5–95 %)."""
    if progress is None:
        return lambda: None
    names = [name for name in (PRODUCT_SHEET, POLICY_SHEET) if name in sheets]
    # max_row comes from the sheet's recorded dimensions (no second read of the file).
    total = max(1, sum(max(0, (sheets[name].max_row or 1) - 1) for name in names))
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(5 + int(90 * min(done, total) / total))

    return tick


def catalogue_import(
    *, file, user: User | None, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import the sheets 信贷产品 and 政策 of an .xlsx file; all rows or none.

    Raises :class:`ImportError_` listing every bad row (sheet, row number, reason) in Chinese.
    ``progress`` (optional) is called with the percentage of rows checked so far.
    """
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not .xlsx
        raise ImportError_(["无法读取该文件，请上传 Excel（.xlsx）文件"]) from exc
    sheets = {ws.title: ws for ws in workbook.worksheets}
    if PRODUCT_SHEET not in sheets and POLICY_SHEET not in sheets:
        workbook.close()
        raise ImportError_([f"文件中没有“{PRODUCT_SHEET}”或“{POLICY_SHEET}”工作表"])
    tick = _row_counter(sheets, progress)
    result = ImportResult()
    errors: list[str] = []
    seen: set[str] = set()
    action = CatalogueChange.Action.IMPORT
    try:
        with transaction.atomic():
            if PRODUCT_SHEET in sheets:
                for number, row in _rows(sheets[PRODUCT_SHEET], ["产品名称", "银行"]):
                    tick()
                    where = f"{PRODUCT_SHEET}第{number}行"
                    try:
                        with transaction.atomic():
                            key, data, publish = _product_data(row, user)
                            if key in seen:
                                raise RowError(f"编号 {key} 在文件中重复")
                            seen.add(key)
                            _, outcome = product_upsert(
                                key=key, data=data, publish=publish, user=user, action=action
                            )
                            result.counts[f"product_{outcome}"] += 1
                    except RowError as exc:
                        errors.append(f"{where}：{exc}")
                    except ValidationError as exc:
                        errors.append(f"{where}：{_messages(exc)}")
            if POLICY_SHEET in sheets:
                for number, row in _rows(sheets[POLICY_SHEET], ["政策名称"]):
                    tick()
                    where = f"{POLICY_SHEET}第{number}行"
                    try:
                        with transaction.atomic():
                            key, data, rule, publish = _policy_data(row, user)
                            if key in seen:
                                raise RowError(f"编号 {key} 在文件中重复")
                            seen.add(key)
                            _, outcome = policy_upsert(
                                key=key,
                                data=data,
                                rule=rule,
                                publish=publish,
                                user=user,
                                action=action,
                            )
                            result.counts[f"policy_{outcome}"] += 1
                    except RowError as exc:
                        errors.append(f"{where}：{exc}")
                    except ValidationError as exc:
                        errors.append(f"{where}：{_messages(exc)}")
            if errors:
                # Leaving the block with an exception rolls back every row, the good ones too.
                raise ImportError_(errors)
    finally:
        workbook.close()
    return result
