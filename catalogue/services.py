"""Writes shared by policies and products: the change history and saved searches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models, transaction

from accounts.models import User
from audit.services import audit_record
from catalogue.cache import catalogue_changed
from catalogue.models import CatalogueChange, CatalogueKind, SavedSearch

UNSUBSCRIBE_SALT = "catalogue.saved-search.unsubscribe"


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """JSON-ready values of ``fields`` of ``instance`` (foreign keys by their text)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            if instance.pk is None:
                values[name] = []
            else:
                values[name] = sorted(str(o) for o in getattr(instance, name).all())
        else:
            values[name] = _json_value(getattr(instance, name))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


@transaction.atomic
def catalogue_change_record(
    *,
    kind: str,
    instance: models.Model,
    action: str,
    changes: Mapping[str, Any] | None = None,
    user: User | None = None,
) -> CatalogueChange:
    """Keep one history row: who changed which record, when, and how.

    Every catalogue write passes here, so this is also where cached public lists go stale.
    """
    catalogue_changed()
    audit_record(actor=user, action=f"{kind}.{action}", obj=instance, changes=changes)
    return CatalogueChange.objects.create(
        kind=kind,
        object_id=instance.pk,
        object_key=getattr(instance, "key", str(instance.pk)),
        action=action,
        changes=dict(changes or {}),
        user=user if user is not None and user.is_authenticated else None,
    )


def enqueue_saved_search_alerts(*, kind: str, ids: Iterable[int]) -> None:
    """After the commit, look for saved searches that the new or changed records match."""
    id_list = sorted(set(ids))
    if not id_list:
        return

    def _send() -> None:
        from catalogue.tasks import saved_searches_notify

        saved_searches_notify.delay(kind, id_list)

    # robust: a broker outage must not fail the committed edit; catalogue.saved_searches_sweep
    # sends the alert later.
    transaction.on_commit(_send, robust=True)


SAVED_PARAM_NAMES = {
    CatalogueKind.POLICY: (
        "search",
        "region_code",
        "category",
        "support_type",
        "beneficiary",
        "include_expired",
        "open_now",
    ),
    CatalogueKind.PRODUCT: (
        "search",
        "bank",
        "guarantee",
        "product_class",
        "region_code",
        "amount_wan",
        "amount_min_wan",
        "amount_max_wan",
    ),
}


@transaction.atomic
def saved_search_create(
    *, user: User, kind: str, params: Mapping[str, Any], name: str = ""
) -> SavedSearch:
    """Save a catalogue search of ``user``; only the known filter parameters are kept."""
    if not user.is_authenticated:
        raise ValidationError("请先登录再保存搜索。")
    if kind not in CatalogueKind.values:
        raise ValidationError({"kind": "未知的搜索类型。"})
    allowed = SAVED_PARAM_NAMES[CatalogueKind(kind)]
    kept = {k: str(v) for k, v in params.items() if k in allowed and str(v).strip()}
    if not kept:
        raise ValidationError("请至少设置一个搜索条件再保存。")
    if SavedSearch.objects.filter(user=user).count() >= 50:
        raise ValidationError("最多保存 50 个搜索。")
    label = name.strip() or "、".join(kept.values())[:100]
    return SavedSearch.objects.create(user=user, kind=kind, params=kept, name=label)


def saved_search_unsubscribe_token(saved_search: SavedSearch) -> str:
    """A signed token for the one-click unsubscribe link (no login needed)."""
    return signing.dumps(saved_search.pk, salt=UNSUBSCRIBE_SALT, compress=True)


@transaction.atomic
def saved_search_unsubscribe(*, token: str) -> SavedSearch | None:
    """Stop alerts of the saved search the token names; None for a bad token. Idempotent."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    saved = SavedSearch.objects.filter(pk=pk).first()
    if saved is not None and saved.active:
        saved.active = False
        saved.save(update_fields=["active"])
    return saved


@transaction.atomic
def saved_search_delete(*, user: User, saved_search_id: int) -> None:
    """Delete one of the user's saved searches."""
    SavedSearch.objects.filter(user=user, pk=saved_search_id).delete()
