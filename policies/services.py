"""Writes of policies: create, update, publish, rule versions. Each keeps the history and the
search columns, and alerts saved searches after the commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalogue.models import CatalogueChange, CatalogueKind
from catalogue.rules import rule_max_amount, validate_rule_data
from catalogue.search import search_column
from catalogue.services import (
    catalogue_change_record,
    diff,
    enqueue_saved_search_alerts,
    snapshot,
)
from catalogue.text import plain_text, sanitise_rich_text
from policies.models import Policy, PolicyRule, Status
from regions.codes import region_contains

EDITABLE_FIELDS = (
    "title",
    "issuer",
    "document_number",
    "batch",
    "region",
    "category",
    "support_type",
    "beneficiary",
    "valid_from",
    "valid_to",
    "summary",
    "conditions_text",
    "benefit_text",
    "materials",
    "contact",
    "source_file",
    "source_title",
    "source_passage",
)
RICH_FIELDS = ("summary", "conditions_text", "benefit_text")
HISTORY_FIELDS = (*EDITABLE_FIELDS, "status")


def _check_scope(user: User | None, region_code: str) -> None:
    # Staff may only write records of their own region; None = a system load (load_catalogue).
    if user is None or user.is_platform_admin:
        return
    if not (user.is_district_staff and user.region_id):
        raise ValidationError("无权维护政策目录。")
    if not region_contains(user.region.code, region_code):
        raise ValidationError({"region": f"只能维护{user.region.name}辖区内的政策。"})


def _apply(policy: Policy, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"未知字段：{'、'.join(sorted(unknown))}")
    for name, value in data.items():
        if name in RICH_FIELDS:
            value = sanitise_rich_text(value)
        elif name == "materials":
            value = [str(m).strip() for m in (value or []) if str(m).strip()]
        elif name not in ("region", "valid_from", "valid_to"):
            value = ("" if value is None else str(value)).strip()
        setattr(policy, name, value)
    policy.search_title = search_column(policy.title)
    policy.search_text = search_column(
        policy.title,
        policy.issuer,
        policy.document_number,
        policy.batch,
        policy.category,
        policy.support_type,
        plain_text(policy.summary),
        plain_text(policy.conditions_text),
        plain_text(policy.benefit_text),
        " ".join(policy.materials),
    )


def _save(policy: Policy) -> None:
    if policy.valid_from and policy.valid_to and policy.valid_to < policy.valid_from:
        # Said per field, in Chinese, rather than as the table constraint's generic message.
        raise ValidationError({"valid_to": "截止日期不能早于生效日期。"})
    try:
        policy.full_clean(exclude=["search_text", "search_title"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    policy.save()


def _max_amount_refresh(policy: Policy) -> None:
    """Store the current rule version's cap on the policy (the catalogue's amount filter)."""
    current = policy.rules.order_by("-valid_from").first()
    maximum = rule_max_amount(current.data) if current is not None else None
    if maximum != policy.max_amount_yuan:
        policy.max_amount_yuan = maximum
        policy.save(update_fields=["max_amount_yuan"])


def _notify_if_public(policy: Policy) -> None:
    if policy.status == Status.PUBLISHED:
        enqueue_saved_search_alerts(kind=CatalogueKind.POLICY, ids=[policy.pk])


@transaction.atomic
def policy_create(
    *,
    key: str,
    data: Mapping[str, Any],
    rule: Mapping[str, Any] | None = None,
    publish: bool = False,
    user: User | None = None,
    action: str = CatalogueChange.Action.CREATE,
    notify: bool = True,
) -> Policy:
    """Create a policy (a draft unless ``publish``) with its first rule version."""
    policy = Policy(key=key, status=Status.PUBLISHED if publish else Status.DRAFT)
    if publish:
        policy.published_at = timezone.now()
    _apply(policy, data)
    _check_scope(user, policy.region.code if policy.region_id else "")
    _save(policy)
    if rule is not None:
        _rule_write(policy=policy, data=rule, valid_from=policy.valid_from)
        _max_amount_refresh(policy)
    catalogue_change_record(
        kind=CatalogueKind.POLICY,
        instance=policy,
        action=action,
        changes=diff({}, snapshot(policy, HISTORY_FIELDS)),
        user=user,
    )
    if notify:
        _notify_if_public(policy)
    return policy


@transaction.atomic
def policy_update(
    *,
    policy: Policy,
    data: Mapping[str, Any],
    rule: Mapping[str, Any] | None = None,
    rule_valid_from: date | None = None,
    user: User | None = None,
    action: str = CatalogueChange.Action.UPDATE,
    notify: bool = True,
) -> bool:
    """Change a policy's fields (and optionally its rule). Returns True when anything changed.

    ``rule`` with ``rule_valid_from`` after the current version's start adds a new version and
    closes the previous one the day before, so older claims keep their terms.
    """
    _check_scope(user, policy.region.code)
    before = snapshot(policy, HISTORY_FIELDS)
    _apply(policy, data)
    _check_scope(user, policy.region.code)
    changes = diff(before, snapshot(policy, HISTORY_FIELDS))
    if changes:
        _save(policy)
    if rule is not None:
        rule_change = _rule_write(policy=policy, data=rule, valid_from=rule_valid_from)
        if rule_change:
            changes["rule"] = rule_change
        # Also when unchanged: repairs a cap computed before a fact the rule uses was registered.
        _max_amount_refresh(policy)
    if changes:
        catalogue_change_record(
            kind=CatalogueKind.POLICY, instance=policy, action=action, changes=changes, user=user
        )
        if notify:
            _notify_if_public(policy)
    return bool(changes)


def _rule_write(*, policy: Policy, data: Mapping[str, Any], valid_from: date | None) -> list | None:
    """Store ``data`` as the current rule version; returns [old, new] when it changed."""
    clean = {k: v for k, v in dict(data).items() if k not in ("valid_from", "valid_to")}
    validate_rule_data(clean)
    current = policy.rules.order_by("-valid_from").first()
    if current is not None and current.data == clean:
        return None
    if current is None:
        PolicyRule.objects.create(
            policy=policy, valid_from=valid_from, valid_to=policy.valid_to, data=clean
        )
        return [None, clean]
    old = current.data
    starts_later = (
        valid_from is not None
        and current.valid_from is not None
        and valid_from > current.valid_from
    ) or (valid_from is not None and current.valid_from is None)
    if starts_later:
        current.valid_to = valid_from - timedelta(days=1)
        current.save(update_fields=["valid_to"])
        PolicyRule.objects.create(
            policy=policy, valid_from=valid_from, valid_to=policy.valid_to, data=clean
        )
    else:
        current.data = clean
        current.save(update_fields=["data"])
    return [old, clean]


@transaction.atomic
def policy_publish(*, policy: Policy, user: User | None = None) -> None:
    """Show the policy in the public catalogue and alert matching saved searches."""
    _check_scope(user, policy.region.code)
    if policy.status == Status.PUBLISHED:
        return
    policy.status = Status.PUBLISHED
    policy.published_at = timezone.now()
    policy.save(update_fields=["status", "published_at", "updated_at"])
    catalogue_change_record(
        kind=CatalogueKind.POLICY,
        instance=policy,
        action=CatalogueChange.Action.PUBLISH,
        changes={"status": [Status.DRAFT, Status.PUBLISHED]},
        user=user,
    )
    _notify_if_public(policy)


@transaction.atomic
def policy_unpublish(*, policy: Policy, user: User | None = None) -> None:
    """Withdraw the policy from the public catalogue."""
    _check_scope(user, policy.region.code)
    if policy.status != Status.PUBLISHED:
        return
    policy.status = Status.DRAFT
    policy.save(update_fields=["status", "updated_at"])
    catalogue_change_record(
        kind=CatalogueKind.POLICY,
        instance=policy,
        action=CatalogueChange.Action.UNPUBLISH,
        changes={"status": [Status.PUBLISHED, Status.DRAFT]},
        user=user,
    )


@transaction.atomic
def policy_upsert(
    *,
    key: str,
    data: Mapping[str, Any],
    rule: Mapping[str, Any] | None,
    publish: bool,
    user: User | None = None,
    action: str = CatalogueChange.Action.LOAD,
    notify: bool = True,
) -> tuple[Policy, str]:
    """Create or update the policy ``key`` (load_catalogue, Excel import).

    Returns the policy and ``created``, ``updated`` or ``unchanged``.
    """
    policy = Policy.objects.select_related("region").filter(key=key).first()
    if policy is None:
        policy = policy_create(
            key=key, data=data, rule=rule, publish=publish, user=user, action=action, notify=notify
        )
        return policy, "created"
    changed = policy_update(
        policy=policy, data=data, rule=rule, user=user, action=action, notify=notify
    )
    if publish and policy.status != Status.PUBLISHED:
        policy_publish(policy=policy, user=user)
        changed = True
    elif not publish and policy.status == Status.PUBLISHED:
        policy_unpublish(policy=policy, user=user)
        changed = True
    return policy, "updated" if changed else "unchanged"
