"""Reads of the policy catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from catalogue.models import CatalogueChange, CatalogueKind
from policies.filters import PolicyFilter
from policies.models import Policy, PolicyQuerySet

SEARCH_COLUMNS = ("search_text", "search_title")


def public_policies() -> PolicyQuerySet:
    """Published policies with what their list rows show (one query per page)."""
    return Policy.objects.published().select_related("region")


def policy_search(params: Mapping[str, Any], queryset: QuerySet | None = None) -> PolicyFilter:
    """The bound catalogue filter over ``queryset`` (default: published policies).

    The default leaves out the search columns: lists never show them (they are only matched and
    ranked in SQL), and they are the widest columns of the table.
    """
    if queryset is None:
        queryset = public_policies().defer(*SEARCH_COLUMNS)
    return PolicyFilter(params, queryset=queryset)


def policy_history(policy: Policy) -> QuerySet[CatalogueChange]:
    """The change history of a policy, newest first."""
    return CatalogueChange.objects.filter(
        kind=CatalogueKind.POLICY, object_id=policy.pk
    ).select_related("user")


def policy_rules(policy: Policy):
    """The rule versions of a policy, newest first."""
    return policy.rules.order_by("-valid_from")
