"""Saved-search alerts, run by the worker after a policy or product is published or changed."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from catalogue.models import CatalogueKind, SavedSearch
from catalogue.services import saved_search_unsubscribe_token
from notifications.services import notification_send


def _matches(kind: str, params: dict, ids: list[int]):
    if kind == CatalogueKind.POLICY:
        from policies.selectors import policy_search, public_policies

        found = policy_search(params, public_policies().filter(pk__in=ids))
    else:
        from banks.selectors import product_search, public_products

        found = product_search(params, public_products().filter(pk__in=ids))
    return list(found.qs) if found.is_valid() else []


def saved_searches_notify_now(*, kind: str, ids: list[int]) -> int:
    """Tell each subscriber whose saved search matches one of ``ids``; returns messages sent.

    Idempotent: the dedupe key names the record and its last change, so a rerun sends nothing
    new, while a later change of the same record is told again.
    """
    sent = 0
    searches = SavedSearch.objects.filter(kind=kind, active=True, user__is_active=True)
    for saved in searches.select_related("user").iterator():
        for record in _matches(kind, saved.params, ids):
            if kind == CatalogueKind.POLICY:
                url = reverse("policies:detail", args=[record.pk])
                title = f"有新的或更新的政策符合您保存的搜索“{saved.name}”：{record.title}"
            else:
                url = reverse("banks:product_detail", args=[record.pk])
                title = f"有新的或更新的信贷产品符合您保存的搜索“{saved.name}”：{record}"
            unsubscribe = reverse(
                "catalogue:unsubscribe", args=[saved_search_unsubscribe_token(saved)]
            )
            notification = notification_send(
                user=saved.user,
                kind="catalogue.saved_search",
                title=title[:200],
                body=f"查看：{url}\n退订此搜索提醒：{unsubscribe}",
                url=url,
                dedupe_key=f"saved-search:{saved.pk}:{kind}:{record.pk}:{record.updated_at.isoformat()}",
            )
            sent += notification is not None
    return sent


@shared_task(name="catalogue.saved_searches_notify", soft_time_limit=240, time_limit=300)
def saved_searches_notify(kind: str, ids: list[int]) -> int:
    """Alert saved searches about the new or changed records ``ids`` of ``kind``."""
    return saved_searches_notify_now(kind=kind, ids=ids)


def saved_searches_sweep_now(*, now: dt.datetime | None = None) -> int:
    """Alert saved searches about every record changed within the sweep window; returns messages.

    The alert after a change is enqueued on commit; if that message is lost (broker down, worker
    killed) this sweep sends it later. The dedupe key of :func:`saved_searches_notify_now` makes
    the alerts already sent a no-op, so the window may overlap freely.
    """
    from banks.selectors import public_products
    from policies.selectors import public_policies

    since = (now or timezone.now()) - dt.timedelta(hours=settings.SAVED_SEARCH_SWEEP_HOURS)
    sent = 0
    for kind, records in (
        (CatalogueKind.POLICY, public_policies()),
        (CatalogueKind.PRODUCT, public_products()),
    ):
        ids = list(records.filter(updated_at__gte=since).values_list("pk", flat=True))
        if ids:
            sent += saved_searches_notify_now(kind=kind, ids=ids)
    return sent


@shared_task(name="catalogue.saved_searches_sweep", soft_time_limit=540, time_limit=600)
def saved_searches_sweep() -> int:
    """Re-drive the saved-search alerts of recently changed records (the periodic sweeper)."""
    return saved_searches_sweep_now()
