"""Loading the catalogue data files (``fixtures/catalogue/*.yaml``, docs/catalogue-format.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from banks.models import Branch
from banks.services import bank_get_or_create, product_upsert
from catalogue.models import CatalogueFact, CatalogueKind
from catalogue.services import enqueue_saved_search_alerts
from policies.services import policy_upsert
from regions.codes import is_valid_region_code, level_of, parent_code
from regions.models import Region

CATALOGUE_DIR = Path(settings.BASE_DIR) / "fixtures" / "catalogue"
FALLBACK_REGION = "370000"  # a product whose file names no region served is kept by the province


def _known_region_names() -> dict[str, str]:
    from portal.demo import REGIONS

    return dict(REGIONS)


@transaction.atomic
def region_ensure(code: str, name: str | None = None, parent: str | None = None) -> Region:
    """The region ``code``, created with its ancestors when missing (names from the demo list)."""
    if not is_valid_region_code(code):
        raise ValidationError(f"行政区划代码“{code}”无效")
    region = Region.objects.filter(code=code).first()
    if region is not None and (name is None or region.name == name):
        return region
    parent_key = parent or parent_code(code)
    parent_region = region_ensure(parent_key) if parent_key else None
    label = name or _known_region_names().get(code) or code
    region, _ = Region.objects.update_or_create(
        code=code, defaults={"name": label, "level": level_of(code), "parent": parent_region}
    )
    return region


@dataclass
class LoadResult:
    files: int = 0
    counts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.files} 个文件；政策 新增 {c['policy_created']}、更新 {c['policy_updated']}、"
            f"未变 {c['policy_unchanged']}；信贷产品 新增 {c['product_created']}、"
            f"更新 {c['product_updated']}、未变 {c['product_unchanged']}"
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def policy_data(record: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The service's field values of one ``policies:`` entry."""
    return {
        "title": _text(record.get("title")),
        "issuer": _text(record.get("issuer") or source.get("issuer")),
        "document_number": _text(record.get("document_number")),
        "batch": _text(record.get("batch")),
        "region": region_ensure(str(record["region_code"])),
        "category": _text(record.get("category")),
        "support_type": _text(record.get("support_type")),
        "beneficiary": _text(record.get("beneficiary") or "enterprise"),
        "valid_from": record.get("valid_from"),
        "valid_to": record.get("valid_to"),
        "summary": _text(record.get("summary")),
        "conditions_text": _text(record.get("conditions_text")),
        "benefit_text": _text(record.get("benefit_text")),
        "materials": list(record.get("materials") or []),
        "contact": _text(record.get("contact")),
        "source_file": _text(source.get("file")),
        "source_title": _text(source.get("title")),
        "source_passage": _text(record.get("source_passage")),
    }


def _branch(name: str | None, bank, region: Region) -> Branch | None:
    if not name:
        return None
    branch = Branch.objects.filter(name=name).first()
    if branch is None:
        branch = Branch.objects.create(name=name, bank=bank, region=region)
    return branch if branch.bank_id == bank.pk else None


def product_data(record: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The service's field values of one ``products:`` entry."""
    served = [region_ensure(str(code)) for code in record.get("regions_served") or []]
    region = served[0] if served else region_ensure(FALLBACK_REGION)
    bank = bank_get_or_create(name=_text(record.get("bank")))
    return {
        "name": _text(record.get("name")),
        "bank": bank,
        "branch": _branch(record.get("branch"), bank, region),
        "region": region,
        "product_class": _text(record.get("product_class")),
        "description": _text(record.get("description")),
        "target_customers": _text(record.get("target_customers")),
        "conditions_text": _text(record.get("conditions_text")),
        "customer_types": list(record.get("customer_types") or []),
        "min_amount_yuan": record.get("min_amount_yuan"),
        "max_amount_yuan": record.get("max_amount_yuan"),
        "max_term_months": record.get("max_term_months"),
        "rate_text": _text(record.get("rate_text")),
        "rate_min_percent": record.get("rate_min_percent"),
        "guarantee_methods": list(record.get("guarantee_methods") or []),
        "guarantee_fee_text": _text(record.get("guarantee_fee_text")),
        "materials": list(record.get("materials") or []),
        "regions_served": served,
        "source_file": _text(source.get("file")),
        "source_title": _text(source.get("title")),
        "source_passage": _text(record.get("source_passage")),
    }


def _facts(definitions: Iterable[dict[str, Any]], source_file: str) -> None:
    try:
        from eligibility.facts import register_facts
    except ImportError:
        register_facts = None
    for definition in definitions:
        CatalogueFact.objects.update_or_create(
            name=definition["name"],
            defaults={
                "type": definition.get("type") or "string",
                "unit": definition.get("unit") or "",
                "label": definition.get("label") or definition["name"],
                "source_file": source_file,
            },
        )
        if register_facts is not None:
            try:
                register_facts([definition])
            except ValueError as exc:
                raise ValidationError(f"{source_file}：{exc}") from exc


def _where(path: Path, kind: str, key: str, exc: ValidationError) -> ValidationError:
    messages = (
        [f"{k}：{'；'.join(v)}" for k, v in exc.message_dict.items()]
        if hasattr(exc, "error_dict")
        else exc.messages
    )
    return ValidationError(f"{path.name} {kind} {key}：{'；'.join(messages)}")


@transaction.atomic
def catalogue_load(*, directory: Path | None = None, notify: bool = True) -> LoadResult:
    """Load every ``*.yaml`` of ``directory``, idempotently (upsert on each record's ``key``).

    Policies and products are published. All or nothing: a bad record rolls the whole load back.
    """
    directory = directory or CATALOGUE_DIR
    result = LoadResult()
    seen: dict[str, str] = {}
    changed: dict[str, list[int]] = {CatalogueKind.POLICY: [], CatalogueKind.PRODUCT: []}
    for path in sorted(directory.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        source = document.get("source") or {}
        result.files += 1
        for entry in document.get("regions") or []:
            region_ensure(str(entry["code"]), entry.get("name"), entry.get("parent"))
        _facts(document.get("facts") or [], path.name)
        for record in document.get("policies") or []:
            key = str(record["key"])
            if key in seen:
                raise ValidationError(f"{path.name}：政策标识 {key} 与 {seen[key]} 重复")
            seen[key] = path.name
            try:
                policy, outcome = policy_upsert(
                    key=key,
                    data=policy_data(record, source),
                    rule=record.get("rule"),
                    publish=True,
                    notify=False,
                )
            except ValidationError as exc:
                raise _where(path, "政策", key, exc) from exc
            result.counts[f"policy_{outcome}"] += 1
            if outcome != "unchanged":
                changed[CatalogueKind.POLICY].append(policy.pk)
        for record in document.get("products") or []:
            key = str(record["key"])
            if key in seen:
                raise ValidationError(f"{path.name}：产品标识 {key} 与 {seen[key]} 重复")
            seen[key] = path.name
            try:
                product, outcome = product_upsert(
                    key=key, data=product_data(record, source), publish=True, notify=False
                )
            except ValidationError as exc:
                raise _where(path, "产品", key, exc) from exc
            result.counts[f"product_{outcome}"] += 1
            if outcome != "unchanged":
                changed[CatalogueKind.PRODUCT].append(product.pk)
    if notify:
        for kind, ids in changed.items():
            enqueue_saved_search_alerts(kind=kind, ids=ids)
    return result
