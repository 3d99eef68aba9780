"""The JSON of a need, built by hand from ``values()`` rows and objects already in memory.

``NeedSerializer`` and ``NeedDetailSerializer`` describe the answer (the OpenAPI schema is built
from their fields); this module produces it without DRF's per-field machinery or model instances
for the timeline, which made the officer's list cost ~20 ms. Values are formatted by the very DRF
fields the ModelSerializers used, so clients see byte-identical JSON
(``tests/needs/test_api_shape.py`` pins it against the ModelSerializers).

Contact details are masked by ``privacy.selectors.need_contact_api``, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

from django.urls import reverse
from rest_framework import serializers

from banks.models import LoanProduct
from needs.models import (
    Deadline,
    FinancingNeed,
    NeedAttachment,
    NeedEvent,
    Purpose,
)
from needs.states import Action, Status
from privacy.selectors import need_contact_api

_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()
_RATE = serializers.DecimalField(max_digits=5, decimal_places=2)
_STATUS_LABELS = {value: str(label) for value, label in Status.choices}
_PURPOSE_LABELS = {value: str(label) for value, label in Purpose.choices}
_ACTION_LABELS = {value: str(label) for value, label in Action.choices}
_DEADLINE_LABELS = {value: str(label) for value, label in Deadline.Kind.choices}

#: What a list row reads of a need (one query, no model instances).
NEED_VALUES = (
    "id",
    "status",
    "enterprise_id",
    "enterprise__name",
    "amount_yuan",
    "term_months",
    "purpose",
    "guarantee_methods",
    "collateral",
    "urgency",
    "description",
    "contact_name",
    "contact_phone",
    "assigned_branch_id",
    "assigned_branch__name",
    "assigned_branch__bank_id",
    "assigned_branch__bank__name",
    "assigned_officer_id",
    "assigned_officer__display_name",
    "assigned_officer__username",
    "proposed_product",
    "proposed_amount_yuan",
    "proposed_rate_percent",
    "proposed_term_months",
    "approved_amount_yuan",
    "disbursed_amount_yuan",
    "disbursed_on",
    "created_at",
    "accepted_at",
    "first_contact_at",
    "decided_at",
    "closed_at",
)
EVENT_VALUES = (
    "id",
    "need_id",
    "action",
    "actor_id",
    "actor__display_name",
    "actor__username",
    "from_status",
    "to_status",
    "note",
    "data",
    "created_at",
)
ATTACHMENT_VALUES = (
    "id",
    "need_id",
    "original_name",
    "content_type",
    "size",
    "is_material",
    "created_at",
)


def _dt(value):
    return None if value is None else _DATETIME.to_representation(value)


def _int(value):
    return None if value is None else int(value)


def _str(value):
    return None if value is None else str(value)


def _user_name(display_name: str | None, username: str | None) -> str:
    """``str(user)`` of ``accounts.User``, from two columns."""
    return display_name or username or ""


def need_values(need: FinancingNeed) -> dict[str, Any]:
    """The ``NEED_VALUES`` of a need in memory (its enterprise, branch and officer loaded)."""
    branch = need.assigned_branch if need.assigned_branch_id else None
    officer = need.assigned_officer if need.assigned_officer_id else None
    return {
        "id": need.pk,
        "status": need.status,
        "enterprise_id": need.enterprise_id,
        "enterprise__name": need.enterprise.name,
        "amount_yuan": need.amount_yuan,
        "term_months": need.term_months,
        "purpose": need.purpose,
        "guarantee_methods": need.guarantee_methods,
        "collateral": need.collateral,
        "urgency": need.urgency,
        "description": need.description,
        "contact_name": need.contact_name,
        "contact_phone": need.contact_phone,
        "assigned_branch_id": need.assigned_branch_id,
        "assigned_branch__name": branch.name if branch else None,
        "assigned_branch__bank_id": branch.bank_id if branch else None,
        "assigned_branch__bank__name": branch.bank.name if branch else None,
        "assigned_officer_id": need.assigned_officer_id,
        "assigned_officer__display_name": officer.display_name if officer else None,
        "assigned_officer__username": officer.username if officer else None,
        "proposed_product": need.proposed_product,
        "proposed_amount_yuan": need.proposed_amount_yuan,
        "proposed_rate_percent": need.proposed_rate_percent,
        "proposed_term_months": need.proposed_term_months,
        "approved_amount_yuan": need.approved_amount_yuan,
        "disbursed_amount_yuan": need.disbursed_amount_yuan,
        "disbursed_on": need.disbursed_on,
        "created_at": need.created_at,
        "accepted_at": need.accepted_at,
        "first_contact_at": need.first_contact_at,
        "decided_at": need.decided_at,
        "closed_at": need.closed_at,
    }


def event_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """One timeline entry, as ``EventSerializer`` wrote it."""
    action, from_status, to_status = row["action"], row["from_status"], row["to_status"]
    return {
        "id": row["id"],
        "action": action,
        "action_label": "提交需求" if action == "submit" else _ACTION_LABELS.get(action, action),
        "actor": _user_name(row["actor__display_name"], row["actor__username"])
        if row["actor_id"]
        else "系统",
        "from_status": from_status,
        "from_status_label": _STATUS_LABELS.get(from_status, from_status) if from_status else "",
        "to_status": to_status,
        "to_status_label": _STATUS_LABELS.get(to_status, to_status) if to_status else "",
        "note": row["note"],
        "data": row["data"],
        "created_at": _dt(row["created_at"]),
    }


def need_data(
    row: Mapping[str, Any], *, products: list[int], events: list[dict[str, Any]]
) -> dict[str, Any]:
    """A need as ``NeedSerializer`` wrote it (before masking), same keys in the same order."""
    status, purpose = row["status"], row["purpose"]
    branch_id, officer_id = row["assigned_branch_id"], row["assigned_officer_id"]
    rate = row["proposed_rate_percent"]
    disbursed_on = row["disbursed_on"]
    return {
        "id": row["id"],
        "status": status,
        "status_label": _STATUS_LABELS.get(status, status),
        "enterprise": {"id": row["enterprise_id"], "name": row["enterprise__name"]},
        "amount_yuan": _int(row["amount_yuan"]),
        "term_months": _int(row["term_months"]),
        "purpose": purpose,
        "purpose_label": _PURPOSE_LABELS.get(purpose, purpose),
        "guarantee_methods": row["guarantee_methods"],
        "collateral": _str(row["collateral"]),
        "urgency": row["urgency"],
        "description": _str(row["description"]),
        "contact_name": _str(row["contact_name"]),
        "contact_phone": _str(row["contact_phone"]),
        "products": products,
        "assigned_bank": {
            "id": row["assigned_branch__bank_id"],
            "name": row["assigned_branch__bank__name"],
        }
        if branch_id
        else None,
        "assigned_branch": {"id": branch_id, "name": row["assigned_branch__name"]}
        if branch_id
        else None,
        "assigned_officer": {
            "id": officer_id,
            "name": _user_name(
                row["assigned_officer__display_name"], row["assigned_officer__username"]
            ),
        }
        if officer_id
        else None,
        "proposed_product": _str(row["proposed_product"]),
        "proposed_amount_yuan": _int(row["proposed_amount_yuan"]),
        "proposed_rate_percent": None if rate is None else _RATE.to_representation(rate),
        "proposed_term_months": _int(row["proposed_term_months"]),
        "approved_amount_yuan": _int(row["approved_amount_yuan"]),
        "disbursed_amount_yuan": _int(row["disbursed_amount_yuan"]),
        "disbursed_on": None if disbursed_on is None else _DATE.to_representation(disbursed_on),
        "created_at": _dt(row["created_at"]),
        "accepted_at": _dt(row["accepted_at"]),
        "first_contact_at": _dt(row["first_contact_at"]),
        "decided_at": _dt(row["decided_at"]),
        "closed_at": _dt(row["closed_at"]),
        "events": events,
    }


def event_values(event: NeedEvent, *, actor) -> dict[str, Any]:
    """The ``EVENT_VALUES`` of an event in memory, written by ``actor`` (a user or None)."""
    return {
        "id": event.pk,
        "need_id": event.need_id,
        "action": event.action,
        "actor_id": event.actor_id,
        "actor__display_name": actor.display_name if actor else None,
        "actor__username": actor.username if actor else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "data": event.data,
        "created_at": event.created_at,
    }


def attachment_values(attachment: NeedAttachment) -> dict[str, Any]:
    return {name: getattr(attachment, name) for name in ATTACHMENT_VALUES}


# --- Reading the related rows of several needs, one query each ------------------------------------


def events_by_need(need_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """The timelines of ``need_ids``, oldest first (``NeedEvent``'s order)."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in NeedEvent.objects.filter(need_id__in=list(need_ids)).values(*EVENT_VALUES):
        grouped[row["need_id"]].append(event_data(row))
    return grouped


def products_by_need(need_ids: Iterable[int]) -> dict[int, list[int]]:
    """The chosen products' ids of ``need_ids``, in ``LoanProduct``'s order."""
    grouped: dict[int, list[int]] = defaultdict(list)
    rows = LoanProduct.objects.filter(financing_needs__in=list(need_ids)).values_list(
        "financing_needs", "pk"
    )
    for need_id, product_id in rows:
        grouped[need_id].append(product_id)
    return grouped


def scoped_products(user, need_id: int) -> list[int] | None:
    """The chosen products' ids of a need ``user`` may see, or None when it may not: the scope
    check and the products in one query (a LEFT JOIN: a need without products gives one NULL)."""
    rows = list(
        FinancingNeed.objects.for_user(user)
        .filter(pk=need_id)
        .order_by("products__bank__name", "products__name", "products__pk")
        .values_list("products", flat=True)
    )
    if not rows:
        return None
    return [product_id for product_id in rows if product_id is not None]


def attachments_of(need_id: int) -> list[dict[str, Any]]:
    rows = NeedAttachment.objects.filter(need_id=need_id).values(*ATTACHMENT_VALUES)
    return [attachment_data(row) for row in rows]


def attachment_data(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "original_name": row["original_name"],
        "content_type": row["content_type"],
        "size": row["size"],
        "is_material": row["is_material"],
        "created_at": _dt(row["created_at"]),
        "url": reverse("needs:attachment", args=[row["need_id"], row["id"]]),
    }


def deadlines_of(need_id: int) -> list[dict[str, Any]]:
    """The deadlines of the open assignment, and those met under earlier ones."""
    rows = Deadline.objects.filter(need_id=need_id, cancelled_at__isnull=True).values_list(
        "kind", "due_at", "met_at", "calendar_estimated", "assignment__outcome"
    )
    return [
        {
            "kind": kind,
            "label": _DEADLINE_LABELS.get(kind, kind),
            "due_at": due_at,
            "met_at": met_at,
            "calendar_estimated": estimated,
        }
        for kind, due_at, met_at, estimated, outcome in rows
        if outcome == "open" or met_at
    ]


# --- Whole answers --------------------------------------------------------------------------------


def need_list_data(rows: list[dict[str, Any]], context: Mapping[str, Any]) -> list[dict]:
    """List rows from ``NEED_VALUES`` rows: events and products read once for the whole page."""
    ids = [row["id"] for row in rows]
    events = events_by_need(ids) if ids else {}
    products = products_by_need(ids) if ids else {}
    answer = []
    for row in rows:
        data = need_data(
            row, products=products.get(row["id"], []), events=events.get(row["id"], [])
        )
        # The list rule of need_contact_api reads only who owns the need and the two values.
        owner = SimpleNamespace(
            enterprise_id=row["enterprise_id"],
            contact_name=row["contact_name"],
            contact_phone=row["contact_phone"],
        )
        answer.append(need_contact_api(context, owner, data))  # type: ignore[arg-type]
    return answer


def need_detail_data(
    need: FinancingNeed,
    context: Mapping[str, Any],
    *,
    products: list[int] | None = None,
    events: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    deadlines: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A need as ``NeedDetailSerializer`` wrote it; related rows are read unless given."""
    if products is None:
        products = products_by_need([need.pk]).get(need.pk, [])
    if events is None:
        events = events_by_need([need.pk]).get(need.pk, [])
    data = need_data(need_values(need), products=products, events=events)
    data["attachments"] = attachments_of(need.pk) if attachments is None else attachments
    data["deadlines"] = deadlines_of(need.pk) if deadlines is None else deadlines
    return need_contact_api(context, need, data)
