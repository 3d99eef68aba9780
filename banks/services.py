"""Writes of loan products: create, update, publish. Each keeps the history and the search
columns, and alerts saved searches after the commit."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from banks.models import Bank, CustomerType, GuaranteeMethod, LoanProduct, ProductStatus
from catalogue.models import CatalogueChange, CatalogueKind
from catalogue.search import search_column
from catalogue.services import (
    catalogue_change_record,
    diff,
    enqueue_saved_search_alerts,
    snapshot,
)
from catalogue.text import plain_text, sanitise_rich_text
from regions.codes import region_contains

EDITABLE_FIELDS = (
    "name",
    "bank",
    "branch",
    "region",
    "product_class",
    "description",
    "target_customers",
    "conditions_text",
    "customer_types",
    "min_amount_yuan",
    "max_amount_yuan",
    "max_term_months",
    "rate_text",
    "rate_min_percent",
    "guarantee_methods",
    "guarantee_fee_text",
    "materials",
    "regions_served",
    "source_file",
    "source_title",
    "source_passage",
)
RICH_FIELDS = ("description", "target_customers", "conditions_text")
NULLABLE_FIELDS = (
    "bank",
    "branch",
    "region",
    "min_amount_yuan",
    "max_amount_yuan",
    "max_term_months",
    "rate_min_percent",
)
HISTORY_FIELDS = (*EDITABLE_FIELDS, "status")


def _check_scope(user: User | None, region_code: str) -> None:
    # Staff may only write records of their own region; None = a system load (load_catalogue).
    if user is None or user.is_platform_admin:
        return
    if not (user.is_district_staff and user.region_id):
        raise ValidationError("无权维护信贷产品目录。")
    if not region_contains(user.region.code, region_code):
        raise ValidationError({"region": f"只能维护{user.region.name}辖区内的信贷产品。"})


def _codes(value: Any, allowed: list[str], field: str, label: str) -> list[str]:
    codes = [str(c) for c in (value or [])]
    bad = [c for c in codes if c not in allowed]
    if bad:
        raise ValidationError({field: f"未知的{label}：{'、'.join(bad)}"})
    return sorted(set(codes), key=allowed.index)


def _apply(product: LoanProduct, data: Mapping[str, Any]) -> list | None:
    """Set the fields of ``data``; returns the regions served to set after saving, if given."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"未知字段：{'、'.join(sorted(unknown))}")
    regions = None
    for name, value in data.items():
        if name == "regions_served":
            regions = list(value or [])
            continue
        if name in RICH_FIELDS:
            value = sanitise_rich_text(value)
        elif name == "guarantee_methods":
            value = _codes(value, GuaranteeMethod.values, name, "担保方式")
        elif name == "customer_types":
            value = _codes(value, CustomerType.values, name, "客户类型")
        elif name == "materials":
            value = [str(m).strip() for m in (value or []) if str(m).strip()]
        elif name == "rate_min_percent" and value is not None:
            try:
                # Three places, as stored, so that reloading the same figure changes nothing.
                value = Decimal(str(value)).quantize(Decimal("0.001"))
            except InvalidOperation as exc:
                raise ValidationError({name: "最低利率应为数字，如 3.75"}) from exc
        elif name not in NULLABLE_FIELDS:
            value = ("" if value is None else str(value)).strip()
        setattr(product, name, value)
    product.guarantee_codes = (
        f" {' '.join(product.guarantee_methods)} " if product.guarantee_methods else ""
    )
    bank = product.bank if product.bank_id else None
    product.search_title = search_column(product.name)
    product.search_text = search_column(
        product.name,
        bank.name if bank else "",
        bank.short_name if bank else "",
        product.product_class,
        plain_text(product.description),
        plain_text(product.target_customers),
        plain_text(product.conditions_text),
        product.rate_text,
        " ".join(product.guarantee_labels()),
        " ".join(product.materials),
    )
    return regions


def _save(product: LoanProduct, regions: list | None) -> None:
    if product.branch_id and product.bank_id and product.branch.bank_id != product.bank_id:
        raise ValidationError({"branch": "分支行不属于所选银行。"})
    try:
        product.full_clean(exclude=["search_text", "search_title", "guarantee_codes"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    product.save()
    if regions is not None:
        product.regions_served.set(regions)


def _notify_if_public(product: LoanProduct) -> None:
    if product.status == ProductStatus.PUBLISHED:
        enqueue_saved_search_alerts(kind=CatalogueKind.PRODUCT, ids=[product.pk])


@transaction.atomic
def product_create(
    *,
    key: str,
    data: Mapping[str, Any],
    publish: bool = False,
    user: User | None = None,
    action: str = CatalogueChange.Action.CREATE,
    notify: bool = True,
) -> LoanProduct:
    """Create a loan product (a draft unless ``publish``)."""
    product = LoanProduct(
        key=key, status=ProductStatus.PUBLISHED if publish else ProductStatus.DRAFT
    )
    if publish:
        product.published_at = timezone.now()
    regions = _apply(product, data)
    _check_scope(user, product.region.code if product.region_id else "")
    _save(product, regions)
    catalogue_change_record(
        kind=CatalogueKind.PRODUCT,
        instance=product,
        action=action,
        changes=diff({}, snapshot(product, HISTORY_FIELDS)),
        user=user,
    )
    if notify:
        _notify_if_public(product)
    return product


@transaction.atomic
def product_update(
    *,
    product: LoanProduct,
    data: Mapping[str, Any],
    user: User | None = None,
    action: str = CatalogueChange.Action.UPDATE,
    notify: bool = True,
) -> bool:
    """Change a product's fields. Returns True when anything changed."""
    _check_scope(user, product.region.code)
    before = snapshot(product, HISTORY_FIELDS)
    regions = _apply(product, data)
    _check_scope(user, product.region.code)
    after = snapshot(product, [f for f in HISTORY_FIELDS if f != "regions_served"])
    if regions is not None:
        after["regions_served"] = sorted(str(r) for r in regions)
    changes = diff(before, after)
    if changes:
        _save(product, regions)
        catalogue_change_record(
            kind=CatalogueKind.PRODUCT, instance=product, action=action, changes=changes, user=user
        )
        if notify:
            _notify_if_public(product)
    return bool(changes)


@transaction.atomic
def product_publish(*, product: LoanProduct, user: User | None = None) -> None:
    """Show the product in the public catalogue and alert matching saved searches."""
    _check_scope(user, product.region.code)
    if product.status == ProductStatus.PUBLISHED:
        return
    product.status = ProductStatus.PUBLISHED
    product.published_at = timezone.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    catalogue_change_record(
        kind=CatalogueKind.PRODUCT,
        instance=product,
        action=CatalogueChange.Action.PUBLISH,
        changes={"status": [ProductStatus.DRAFT, ProductStatus.PUBLISHED]},
        user=user,
    )
    _notify_if_public(product)


@transaction.atomic
def product_unpublish(*, product: LoanProduct, user: User | None = None) -> None:
    """Withdraw the product from the public catalogue."""
    _check_scope(user, product.region.code)
    if product.status != ProductStatus.PUBLISHED:
        return
    product.status = ProductStatus.DRAFT
    product.save(update_fields=["status", "updated_at"])
    catalogue_change_record(
        kind=CatalogueKind.PRODUCT,
        instance=product,
        action=CatalogueChange.Action.UNPUBLISH,
        changes={"status": [ProductStatus.PUBLISHED, ProductStatus.DRAFT]},
        user=user,
    )


@transaction.atomic
def product_upsert(
    *,
    key: str,
    data: Mapping[str, Any],
    publish: bool,
    user: User | None = None,
    action: str = CatalogueChange.Action.LOAD,
    notify: bool = True,
) -> tuple[LoanProduct, str]:
    """Create or update the product ``key`` (load_catalogue, Excel import).

    Returns the product and ``created``, ``updated`` or ``unchanged``.
    """
    product = LoanProduct.objects.select_related("region", "bank").filter(key=key).first()
    if product is None:
        product = product_create(
            key=key, data=data, publish=publish, user=user, action=action, notify=notify
        )
        return product, "created"
    changed = product_update(product=product, data=data, user=user, action=action, notify=notify)
    if publish and product.status != ProductStatus.PUBLISHED:
        product_publish(product=product, user=user)
        changed = True
    elif not publish and product.status == ProductStatus.PUBLISHED:
        product_unpublish(product=product, user=user)
        changed = True
    return product, "updated" if changed else "unchanged"


BANK_ALIASES = {
    "工商银行": "中国工商银行",
    "农业银行": "中国农业银行",
    "建设银行": "中国建设银行",
    "邮储银行": "中国邮政储蓄银行",
    "邮政储蓄银行": "中国邮政储蓄银行",
    "交通银行": "交通银行",
    "农发行": "中国农业发展银行",
}


@transaction.atomic
def bank_get_or_create(*, name: str) -> Bank:
    """The bank called ``name`` (full or short name, e.g. 工商银行 = 中国工商银行), created if new."""
    name = name.strip()
    if not name:
        raise ValidationError({"bank": "银行不能为空。"})
    full = BANK_ALIASES.get(name, name)
    bank = (
        Bank.objects.filter(name=full).first()
        or Bank.objects.filter(short_name=name).order_by("pk").first()
    )
    if bank is None:
        bank = Bank.objects.create(name=full, short_name=name if full != name else "")
    return bank
